"""Verbs on events: each a keyword-only function whose docstring names its side effects."""

import uuid

from django.db import transaction
from django.utils.text import slugify

from eventsite.versioning import bump, counter_key
from permissions.names import ORGANIZER
from permissions.services import grant_role

from .models import RESOURCES, Event


def unique_slug(name, *, exclude_pk=None):
    """Return a slug for the name that no other event uses."""
    base = slugify(name)[:80] or "event"
    slug, queryset = base, Event.objects.all()
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    while queryset.filter(slug=slug).exists():
        slug = f"{base}-{uuid.uuid4().hex[:6]}"
    return slug


@transaction.atomic
def create_event(*, user, **fields):
    """Create a draft event and make its creator the organizer; writes Event, EventRole, counters."""
    if not fields.get("slug"):
        fields["slug"] = unique_slug(fields.get("name", ""))
    event = Event(created_by=user, **fields)
    event.full_clean()
    event.save()
    # Create every counter of the event now so later bumps are single UPDATEs.
    bump([counter_key("event", event.pk, resource) for resource in RESOURCES if resource != "event"])
    grant_role(user=user, event=event, role_name=ORGANIZER, granted_by=None)
    return event


@transaction.atomic
def publish_event(*, event, by):
    """Publish the event; bumps its version and notifies its team after commit."""
    from notifications.services import notify

    event.state = Event.PUBLISHED
    event.save(update_fields=["state", "updated_at", "version"])
    team = [role.user for role in event.roles.select_related("user") if role.user_id != by.pk]
    if team:
        notify(
            team,
            action="event_published",
            title=f"{event.name} is published",
            message=f'<p><a href="{event.get_absolute_url()}">{event.name}</a> is now public.</p>',
            url=event.get_absolute_url(),
        )
    return event
