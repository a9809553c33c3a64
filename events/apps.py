from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"

    def ready(self):
        from core.files import delete_files_with_rows

        from .models import Event, Sponsor

        # The background's replacement is the service's (events.services); a deleted event takes its file along.
        delete_files_with_rows(Event, "background", on_replace=False)
        delete_files_with_rows(Sponsor, "logo")
        register_webhooks_relay()


def register_webhooks_relay():
    """Make the event's webhooks the listener of recorded changes (core/changes.py)."""
    from core.changes import register_relay

    from .webhooks.delivery import schedule_relay, wanted_kinds
    from .webhooks.kinds import KINDS

    register_relay(kinds=KINDS, wanted=wanted_kinds, schedule=schedule_relay)
