"""The schedule's formats: each a function of a ``events.schedule.Schedule`` that returns bytes."""
