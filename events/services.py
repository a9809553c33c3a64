"""Verbs on events: each a keyword-only function whose docstring names its side effects."""

import secrets
import uuid
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import slugify

from core.broadcast import push_after_commit
from core.changes import record_change
from core.forms import as_id
from core.versioning import EVERYONE, MEMBERS, event_group
from notifications.models import Notification
from notifications.services import notify
from permissions.models import hash_token
from permissions.names import ORGANIZER
from permissions.services import grant_role

from . import background
from .models import NO_PAYMENT_INSTRUCTIONS, Event, PersonalSchedule, Session


def unique_slug(name, *, exclude_pk=None):
    """Return a slug for the name that no other event uses."""
    base = slugify(name)[:80] or "event"
    slug, queryset = base, Event.objects.all()
    if exclude_pk:
        queryset = queryset.exclude(pk=exclude_pk)
    while queryset.filter(slug=slug).exists():
        slug = f"{base}-{uuid.uuid4().hex[:6]}"
    return slug


SLUG_TAKEN = "Another event already uses this slug."


@transaction.atomic
def create_event(*, user, **fields):
    """Create a draft event and make its creator the organizer; writes Event, EventRole, counters.

    A slug made from the name that a concurrent creation took meanwhile is made again (the unique
    index decides); a slug asked for that is taken is a ValidationError.
    """
    asked_for = bool(fields.get("slug"))
    if not asked_for:
        fields["slug"] = unique_slug(fields.get("name", ""))
    event = Event(created_by=user, **fields)
    # A slug made from the name was checked free just now; a concurrent creation taking it is handled below.
    event.full_clean(validate_unique=asked_for)
    for attempt in range(5):
        try:
            with transaction.atomic():
                event.save()
            break
        except IntegrityError:
            if asked_for or attempt == 4:
                raise ValidationError({"slug": SLUG_TAKEN}, code="slug_taken") from None
            event.pk, event._state.adding = None, True
            event.slug = f"{slugify(fields.get('name', ''))[:80] or 'event'}-{uuid.uuid4().hex[:6]}"
    grant_role(user=user, event=event, role_name=ORGANIZER, granted_by=None)
    return event


class EventStateError(ValidationError):
    """The event is not in the state the verb starts from (publishing a published event, ...)."""


class EventHasOrders(ValidationError):
    """The event has orders, so it may not be deleted; ``messages`` says what to do instead."""


class NotReadyError(ValidationError):
    """The event lacks what publishing needs; ``messages`` says what."""


def publish_problems(event):
    """Return {code: message} for what the event lacks before it may be published (empty when it is ready)."""
    problems = {}
    kinds = event.ticket_types()
    if not kinds:
        problems["ticket"] = "Add at least one ticket before publishing."
    elif event.sells_without_saying_how(kinds):
        problems["payment_instructions"] = NO_PAYMENT_INSTRUCTIONS
    return problems


def publish_event(*, event, by):
    """Publish a ready draft; writes Event (bumps its version), records "event.published", notifies its team.

    Raises EventStateError when it is published already, NotReadyError with
    every missing piece, StaleObjectError when someone changed the event since
    it was read.
    """
    if event.is_published:
        raise EventStateError("This event is already published.", code="already_published")
    with transaction.atomic():
        problems = publish_problems(event)
        if problems:
            raise NotReadyError([ValidationError(message, code=code) for code, message in problems.items()])
        _set_state(event, Event.PUBLISHED)
        record_change(kind="event.published", obj=event, event_id=event.pk)
        _tell_team(
            event,
            by,
            action=Notification.EVENT_PUBLISHED,
            title=f"{event.name} is published",
            message=format_html('<p><a href="{}">{}</a> is now public.</p>', event.get_absolute_url(), event.name),
            url=event.get_absolute_url(),
        )
    return event


def unpublish_event(*, event, by):
    """Unpublish; writes Event, records "event.unpublished", notifies its team, closes public sockets after commit.

    The event's public listeners are told to ask the engine again: they are
    no longer allowed and close. Raises EventStateError for a draft,
    StaleObjectError when someone changed the event since it was read.
    """
    if not event.is_published:
        raise EventStateError("This event is not published.", code="not_published")
    with transaction.atomic():
        _set_state(event, Event.DRAFT)
        record_change(kind="event.unpublished", obj=event, event_id=event.pk)
        push_after_commit([(event_group(event.pk, EVERYONE), {"type": "access.changed", "event": event.pk})])
        dashboard = reverse("events:dashboard", args=[event.pk])
        _tell_team(
            event,
            by,
            action=Notification.GENERAL,
            title=f"{event.name} is a draft again",
            message=format_html(
                '<p><a href="{}">{}</a> was unpublished: only its team sees it.</p>', dashboard, event.name
            ),
            url=dashboard,
        )
    return event


def orders_refusal(event, orders):
    """Say why an event with ``orders`` orders may not be deleted ("" when it has none)."""
    if not orders:
        return ""
    held = "1 order" if orders == 1 else f"{orders} orders"
    return (
        f"{event.name} has {held}, so it cannot be deleted: cancel and delete them first, "
        "or unpublish the event to take it off the site."
    )


def delete_event(*, event, by):
    """Delete the event with everything in it; tells its team and closes its sockets after commit.

    Raises EventHasOrders when anyone ordered its tickets: orders are the buyers' and the books' record,
    and go only one by one (cancelled first). Its tickets' rows are locked before the orders are counted,
    as placing an order locks them: an order placed meanwhile is counted, or finds its tickets gone.
    """
    name, event_id = event.name, event.pk
    with transaction.atomic():
        list(event.tickets.select_for_update().values_list("pk"))
        refusal = orders_refusal(event, event.orders.count())
        if refusal:
            raise EventHasOrders(refusal)
        team = _team_except(event, by)
        event.delete()
        push_after_commit(
            [
                (event_group(event_id, audience), {"type": "access.changed", "event": event_id})
                for audience in (MEMBERS, EVERYONE)
            ]
        )
        if team:
            notify(team, action=Notification.GENERAL, title=f"{name} was deleted", url=reverse("home"))


def _set_state(event, state):
    """Save the event's new state with its version checked (StaleObjectError if it moved); restore it on failure."""
    old = event.state
    event.state = state
    try:
        event.save(update_fields=["state", "updated_at", "version"])
    except BaseException:
        event.state = old
        raise


def _team_except(event, by):
    return [role.user_id for role in event.roles.all() if role.user_id != getattr(by, "pk", None)]


def _tell_team(event, by, **notification):
    team = _team_except(event, by)
    if team:
        notify(team, **notification)


def set_background(*, event, upload, by):
    """Store the upload, re-encoded, as the background; writes a file and Event, deletes the old file on commit."""
    # Raises BackgroundError before writing anything for an unacceptable
    # image. The file is written before the transaction (storage may be S3)
    # and removed again if the row cannot be saved; call this outside any
    # transaction, since a rollback of an outer one would leave the file behind.
    content = background.reencode(upload)
    storage = event.background.storage
    name = storage.save(event.background.field.generate_filename(event, content.name), content)
    try:
        _point_background_at(event, name)
    except BaseException:
        storage.delete(name)
        raise
    return event


def remove_background(*, event, by):
    """Clear the event's background; writes Event, deletes the file on commit."""
    if event.background:
        _point_background_at(event, "")
    return event


def _point_background_at(event, name):
    """Save the event with the background file ``name`` (bumps its version); on failure leave the instance as it was."""
    storage, old_name, old_version = event.background.storage, event.background.name, event.version
    try:
        with transaction.atomic():
            event.background = name
            event.save(update_fields=["background", "updated_at", "version"])
            if old_name:
                # Only once the new name is committed: a rollback still finds its file.
                transaction.on_commit(partial(storage.delete, old_name), robust=True)
    except BaseException:
        event.background, event.version = old_name, old_version
        raise


def _public_sessions_of(event, session_ids):
    """Return the event's public sessions with these ids; raise ValidationError naming any other id."""
    limit = PersonalSchedule.MAX_SESSIONS
    if not isinstance(session_ids, list) or not all(type(value) is int and as_id(value) for value in session_ids):
        raise ValidationError({"sessions": "Send the sessions as a list of session ids."}, code="invalid")
    wanted = set(session_ids)
    if not 0 < len(wanted) <= limit:
        raise ValidationError({"sessions": f"A personal schedule holds 1 to {limit} sessions."}, code="invalid")
    found = list(Session.objects.filter(event=event, state__in=Session.PUBLIC_STATES, pk__in=wanted))
    missing = sorted(wanted - {session.pk for session in found})
    if missing:
        names = ", ".join(map(str, missing))
        raise ValidationError({"sessions": f"This event has no public session {names}."}, code="invalid")
    return found


def create_personal_schedule(*, event, session_ids):
    """Store a visitor's starred sessions as a feed; returns (token, schedule). Writes PersonalSchedule.

    The token is returned once: only its hash is stored.
    """
    sessions = _public_sessions_of(event, session_ids)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        personal = PersonalSchedule.objects.create(event=event, token_hash=hash_token(token))
        personal.sessions.set(sessions)
    return token, personal


def update_personal_schedule(*, personal, session_ids):
    """Replace the sessions of a personal schedule; writes it (its feed's ETag moves)."""
    sessions = _public_sessions_of(personal.event, session_ids)
    with transaction.atomic():
        personal.sessions.set(sessions)
        personal.save(update_fields=["updated_at"])
    return personal


def revoke_personal_schedule(*, personal):
    """Delete a personal schedule: its feed answers 404 from now on."""
    personal.delete()
