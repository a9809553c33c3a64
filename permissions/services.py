"""Verbs on event roles and invites: keyword-only functions that name their side effects."""

import logging
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from eventsite.versioning import bump, counter_key
from notifications.models import Notification
from notifications.services import notify

from .models import EventRole, Role, RoleInvite, hash_token
from .names import ORGANIZER, ROLE_LABELS, TRACK_SCOPED_ROLES

logger = logging.getLogger(__name__)
INVITE_LIFETIME = timedelta(days=14)


class LastOrganizerError(ValidationError):
    def __init__(self):
        super().__init__("An event needs at least one organizer: add another organizer first.", code="last_organizer")


def _touch_roles(event_id, user_id):
    bump([counter_key("event", event_id, "roles"), counter_key("user", user_id, "roles")])


def _check_tracks(role_name, tracks, event_id):
    tracks = list(tracks or [])
    if tracks and role_name not in TRACK_SCOPED_ROLES:
        raise ValidationError({"tracks": f"Only {' and '.join(sorted(TRACK_SCOPED_ROLES))} roles can be limited."})
    if any(track.event_id != event_id for track in tracks):
        raise ValidationError({"tracks": "Every track must belong to this event."})
    return tracks


@transaction.atomic
def grant_role(*, user, event, role_name, granted_by, tracks=None):
    """Give the user a role in the event (idempotent); bumps the roles counter and notifies them."""
    role = Role.objects.get(name=role_name)
    tracks = _check_tracks(role_name, tracks, event.pk)
    event_role, created = EventRole.objects.get_or_create(user=user, event=event, role=role)
    if tracks or not created:
        event_role.tracks.set(tracks)
    _touch_roles(event.pk, user.pk)
    if granted_by is not None and granted_by.pk != user.pk:
        notify(
            user,
            action=Notification.ROLE_CHANGED,
            title=f"You are now {ROLE_LABELS[role_name]} of {event.name}",
            message=f"<p>{escape(granted_by.get_full_name() or granted_by.email)} made you "
            f'<strong>{ROLE_LABELS[role_name]}</strong> of <a href="{_dashboard(event)}">{escape(event.name)}</a>.</p>',
            url=_dashboard(event),
        )
    return event_role


def _organizer_count(event_id, *, excluding=None):
    queryset = EventRole.objects.select_for_update().filter(event_id=event_id, role__name=ORGANIZER)
    if excluding is not None:
        queryset = queryset.exclude(pk=excluding.pk)
    return len(list(queryset.values_list("pk", flat=True)))


@transaction.atomic
def change_role(*, event_role, role_name, changed_by, tracks=None):
    """Change an EventRole to another role (and track limit); refuses to demote the last organizer."""
    role = Role.objects.get(name=role_name)
    tracks = _check_tracks(role_name, tracks, event_role.event_id)
    demoting = event_role.role.name == ORGANIZER and role_name != ORGANIZER
    if demoting and _organizer_count(event_role.event_id, excluding=event_role) == 0:
        raise LastOrganizerError()
    if (
        EventRole.objects.filter(user_id=event_role.user_id, event_id=event_role.event_id, role=role)
        .exclude(pk=event_role.pk)
        .exists()
    ):
        raise ValidationError({"role": "This person already holds that role in the event."})
    old_name = event_role.role.name
    event_role.role = role
    event_role.save(update_fields=["role"])
    event_role.tracks.set(tracks)
    _touch_roles(event_role.event_id, event_role.user_id)
    if old_name != role_name and changed_by.pk != event_role.user_id:
        event = event_role.event
        notify(
            event_role.user_id,
            action=Notification.ROLE_CHANGED,
            title=f"Your role in {event.name} changed",
            message=f"<p>You are now <strong>{ROLE_LABELS[role_name]}</strong> of "
            f'<a href="{_dashboard(event)}">{escape(event.name)}</a> (was {ROLE_LABELS[old_name]}).</p>',
            url=_dashboard(event),
        )
    return event_role


@transaction.atomic
def remove_role(*, event_role, removed_by):
    """Delete an EventRole; refuses to remove the last organizer; notifies the person removed."""
    if event_role.role.name == ORGANIZER and _organizer_count(event_role.event_id, excluding=event_role) == 0:
        raise LastOrganizerError()
    event = event_role.event
    user_id, role_name = event_role.user_id, event_role.role.name
    event_role.delete()
    _touch_roles(event.pk, user_id)
    if removed_by.pk != user_id:
        notify(
            user_id,
            action=Notification.ROLE_REMOVED,
            title=f"You are no longer {ROLE_LABELS[role_name]} of {event.name}",
            message=f"<p>{escape(removed_by.get_full_name() or removed_by.email)} removed your role "
            f"<strong>{ROLE_LABELS[role_name]}</strong> in {escape(event.name)}.</p>",
            url=reverse("home"),
        )


@transaction.atomic
def invite(*, event, email, role_name, invited_by):
    """Create an invite and tell the invitee: a notification if they have an account, else an email.

    Returns (invite, token); the token is shown once and only its hash is stored.
    Re-inviting the same email to the same role replaces the pending invite.
    """
    email = email.strip()
    role = Role.objects.get(name=role_name)
    RoleInvite.objects.filter(event=event, role=role, email__iexact=email, state=RoleInvite.PENDING).update(
        state=RoleInvite.CANCELLED, responded_at=timezone.now()
    )
    token = RoleInvite.new_token()
    role_invite = RoleInvite.objects.create(
        event=event,
        role=role,
        email=email,
        token_hash=hash_token(token),
        invited_by=invited_by,
        expires_at=timezone.now() + INVITE_LIFETIME,
    )
    respond_url = reverse("permissions:invite-respond", args=[token])
    inviter = escape(invited_by.get_full_name() or invited_by.email)
    existing = get_user_model()._default_manager.filter(email__iexact=email).first()
    if existing is not None:
        notify(
            existing,
            action=Notification.ROLE_INVITE,
            title=f"Invitation: {ROLE_LABELS[role_name]} of {event.name}",
            message=f"<p>{inviter} invites you to be <strong>{ROLE_LABELS[role_name]}</strong> of "
            f'{escape(event.name)}. <a href="{respond_url}">Accept or decline</a>.</p>',
            url=respond_url,
        )
    else:
        signup_url = f"{reverse('signup')}?{urlencode({'invite': token, 'email': email})}"
        subject = f"Invitation: {ROLE_LABELS[role_name]} of {event.name}"
        body = (
            f"{invited_by.get_full_name() or invited_by.email} invites you to be "
            f"{ROLE_LABELS[role_name]} of {event.name}.\n\nCreate your account to accept: {signup_url}\n"
        )
        transaction.on_commit(lambda: _send_invite_email(email, subject, body))
    return role_invite, token


def _send_invite_email(email, subject, body):
    """Send the invitation email; a mail server failure is logged, the invite stays valid."""
    from django.core.mail import send_mail

    try:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[email])
    except OSError as error:
        logger.warning("Could not send the invitation email to %s: %s", email, error)


class InviteError(ValidationError):
    pass


def find_invite(token, *, lock=False):
    """Return the pending, unexpired invite for a token, or raise InviteError; ``lock`` holds its row."""
    queryset = RoleInvite.objects.select_related("event", "role")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    role_invite = queryset.filter(token_hash=hash_token(token)).first()
    if role_invite is None:
        raise InviteError("This invitation link is not valid.", code="invalid")
    if role_invite.state != RoleInvite.PENDING:
        raise InviteError(f"This invitation was already {role_invite.state}.", code=role_invite.state)
    if role_invite.expires_at <= timezone.now():
        raise InviteError("This invitation has expired; ask the organizer for a new one.", code="expired")
    return role_invite


def _answer_invite(token, user, state):
    """Mark the user's own pending invite answered with ``state``; call inside a transaction."""
    role_invite = find_invite(token, lock=True)
    if role_invite.email.lower() != (user.email or "").lower():
        raise InviteError("This invitation was sent to another email address.", code="wrong_user")
    role_invite.state = state
    role_invite.responded_at = timezone.now()
    role_invite.save(update_fields=["state", "responded_at"])
    return role_invite


@transaction.atomic
def accept_invite(*, token, user):
    """Accept an invite addressed to the user's email: grants the role, marks the invite used."""
    role_invite = _answer_invite(token, user, RoleInvite.ACCEPTED)
    return grant_role(user=user, event=role_invite.event, role_name=role_invite.role.name, granted_by=None)


@transaction.atomic
def decline_invite(*, token, user):
    """Decline an invite addressed to the user's email; marks it used."""
    return _answer_invite(token, user, RoleInvite.DECLINED)


def _dashboard(event):
    return reverse("events:dashboard", args=[event.pk])
