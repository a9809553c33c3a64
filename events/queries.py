"""Reusable event querysets."""

from django.db.models import Prefetch

from eventsite.versioning import counter_key, read_counters
from permissions.models import EventRole

from .models import RESOURCES, Event


def event_versions(event_id):
    """Return {resource: counter} for every resource list of the event; one query."""
    keys = [counter_key("event", event_id, resource) for resource in RESOURCES]
    values = read_counters(keys)
    return {resource: values[key] for resource, key in zip(RESOURCES, keys, strict=True)}


def published_events():
    """Return published events, soonest first."""
    return Event.objects.filter(state=Event.PUBLISHED).order_by("starts_at", "id")


def events_of_user(user):
    """Return the events the user holds a role in, each with ``my_roles`` prefetched."""
    return (
        Event.objects.filter(roles__user=user)
        .distinct()
        .order_by("starts_at", "id")
        .prefetch_related(
            Prefetch("roles", queryset=EventRole.objects.filter(user=user).select_related("role"), to_attr="my_roles")
        )
    )
