"""Changes of an event's data, recorded in the writer's transaction (a transactional outbox).

A write that some listener wants to hear about (an event's webhooks, in the
events app) leaves a ``Change`` row in its own transaction: a write rolled
back leaves none, a write committed always has its row, whatever happens to
the process next. The relay (registered by the app that listens) turns rows
into its own work in a background task.

Generic changes (created, changed, deleted) come from core.versioning, which
sees every write of a VersionedModel that declares a ``change_name``;
semantic ones ("event.published", "order.paid", "role.granted") from the
services that do them, through ``record_change``.

Only wanted changes are written: the relay answers, in one query, which of
the changes' events have a listener for their kind.
"""

from dataclasses import dataclass

from .models import Change


@dataclass(frozen=True)
class Relay:
    """Who listens: the kinds it knows, which of them each event wants, and what to do once some are recorded."""

    kinds: frozenset
    wanted: object  # callable(event_ids, using) -> {event_id: set of kinds}
    schedule: object  # callable(using) -> None; runs inside the writer's transaction, should cost it no query


_relay = None


def register_relay(*, kinds, wanted, schedule):
    """Name the one listener of changes (the events app's webhooks, at start-up)."""
    global _relay
    _relay = Relay(kinds=frozenset(kinds), wanted=wanted, schedule=schedule)


def knows(kind):
    """Whether anyone could want changes of this kind (no query: a kind nobody knows is never recorded)."""
    return _relay is not None and kind in _relay.kinds


def model_label(model):
    return model._meta.label_lower


def record_changes(kind, model, rows, *, data=None, using="default", asked=False):
    """Record one change of ``kind`` per row ``(object_id, event_id, track_id)`` whose event wants it.

    Joins the caller's transaction. Costs nothing for a kind nobody knows,
    one query when nobody wants it, one more (the insert) when somebody does
    (the relay's schedule queues nothing on the database queue); ``asked``: the caller kept only rows of events
    that want the kind (wanted_by_anyone). ``data`` is kept with each change
    (e.g. who held a role that was removed). Returns how many were recorded.
    """
    rows = [row for row in rows if row[1] is not None]
    if not rows or not knows(kind):
        return 0
    if asked:
        wanting = {event_id for _pk, event_id, _track in rows}
    else:
        wanting = wanted_by_anyone(kind, {event_id for _pk, event_id, _track in rows}, using=using)
    label = model_label(model)
    changes = [
        Change(event_id=event_id, kind=kind, model=label, object_id=pk, track_id=track, data=data or {})
        for pk, event_id, track in rows
        if event_id in wanting
    ]
    if not changes:
        return 0
    Change.objects.using(using).bulk_create(changes)
    _relay.schedule(using)
    return len(changes)


def record_change(*, kind, obj, event_id=None, data=None, using="default"):
    """Record that ``obj`` (an object of an event) went through ``kind``, e.g. "order.paid"; see record_changes."""
    model = type(obj)
    track_attname = getattr(model, "track_attname", None)
    track = getattr(obj, track_attname) if track_attname else None
    event_id = event_id if event_id is not None else getattr(obj, "event_id", None)
    return record_changes(kind, model, [(obj.pk, event_id, track)], data=data, using=using)


def wanted_by_anyone(kind, event_ids, *, using="default"):
    """Return the event ids (of those given) that want changes of this kind (one query; none if the kind is unknown)."""
    if not knows(kind) or not event_ids:
        return set()
    wanted = _relay.wanted(set(event_ids), using)
    return {event_id for event_id, kinds in wanted.items() if kind in kinds}
