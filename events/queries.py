"""Reusable event querysets."""

from django.db.models import Prefetch
from django.utils import timezone

from permissions.models import EventRole, hash_token
from permissions.names import READ, TRACK_SCOPED_SERVICES

from .models import Event, PersonalSchedule


def upcoming_events():
    """Return the published events that have not ended (on now or to come), soonest first."""
    return Event.objects.filter(state=Event.PUBLISHED, ends_at__gt=timezone.now()).order_by("starts_at", "id")


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


def personal_schedule(event, token):
    """Return the event's personal schedule with this token, or None (a revoked or made-up token)."""
    if not token or len(token) > 100:
        return None
    return PersonalSchedule.objects.filter(event=event, token_hash=hash_token(token)).first()


def readable(model, event, perms):
    """Return the event's objects of a service model the user may read: those of their tracks, when limited."""
    queryset = model.objects.filter(event=event)
    limit = perms.track_limit(READ, model.service)
    if limit is not None and model.service in TRACK_SCOPED_SERVICES:
        queryset = queryset.filter(**{f"{model.track_attname}__in": limit})
    return queryset
