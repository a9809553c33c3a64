"""What a delivery carries: the changed object as the API shows it to the webhook's owner.

``{"type": "session.changed", "timestamp": "...", "event_id": 3, "data": {...}}``,
where ``data`` is what GET /api/v1/events/3/sessions/<id>/ answers the
owner (the same serializer, with the owner's permissions: private fields
appear only for those who may see them). A deleted object, or one gone by
the time the change is sent, is ``{"id": <id>, "deleted": true}`` plus what
its service kept (e.g. who held a removed role).
"""

import json
from dataclasses import dataclass

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder

from permissions.names import READ
from permissions.serializers import EventRoleSerializer
from tickets.orders.serializers import OrderSerializer
from tickets.serializers import TicketSerializer

from .. import serializers


@dataclass(frozen=True)
class Shape:
    serializer: type
    related: tuple = ()
    prefetch: tuple = ()


# The API's serializer of each model a change may name (app_label.model_name).
SHAPES = {
    "events.event": Shape(serializers.EventSerializer),
    "events.track": Shape(serializers.TrackSerializer),
    "events.session": Shape(serializers.SessionSerializer, prefetch=("speakers",)),
    "events.speaker": Shape(serializers.SpeakerSerializer),
    "events.sponsor": Shape(serializers.SponsorSerializer),
    "events.microlocation": Shape(serializers.MicrolocationSerializer),
    "tickets.ticket": Shape(TicketSerializer),
    "tickets.order": Shape(OrderSerializer, prefetch=("positions",)),
    "permissions.eventrole": Shape(EventRoleSerializer, related=("user", "role"), prefetch=("tracks",)),
}


def load_objects(changes):
    """Return {(model label, id): object} of the changes' objects that still exist: one query per model."""
    wanted = {}
    for change in changes:
        if change.object_id is not None and change.model in SHAPES:
            wanted.setdefault(change.model, set()).add(change.object_id)
    found = {}
    for label, ids in wanted.items():
        shape = SHAPES[label]
        queryset = apps.get_model(label).objects.filter(pk__in=ids)
        if shape.related:
            queryset = queryset.select_related(*shape.related)
        if shape.prefetch:
            queryset = queryset.prefetch_related(*shape.prefetch)
        found.update({(label, obj.pk): obj for obj in queryset})
    return found


def may_read(permissions, change):
    """Whether the owner may read the change's object (on its track, for a track-limited role)."""
    service = apps.get_model(change.model).service
    return permissions.can(READ, service, track_id=change.track_id)


def data_of(change, obj, *, event, permissions):
    """Return the ``data`` of a change: the object as the owner's API shows it, or its id when it is gone."""
    if obj is None or change.kind.endswith(".deleted") or change.kind == "role.removed":
        return {"id": change.object_id, "deleted": True, **change.data}
    if hasattr(obj, "event_id"):
        obj.event = event  # serializers read the event (links, slugs): no query per object
    context = {"event": event, "permissions": permissions}
    return SHAPES[change.model].serializer(obj, context=context).data


def body(*, kind, timestamp, event_id, data):
    """Return the bytes sent: compact JSON, keys in a fixed order."""
    payload = {"type": kind, "timestamp": timestamp.isoformat().replace("+00:00", "Z"), "event_id": event_id}
    payload["data"] = data
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"))
