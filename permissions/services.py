"""Verbs on event roles and invites: keyword-only functions that name their side effects.

Every door (team page, roles API, admin, shell) changes the team through
these, so the rules live here once: one role per (person, event, role), at
least one organizer per event, track limits only for track-scoped roles and
only with the event's own tracks. EventRole and RoleInvite are versioned
models: their writes bump the event's "roles" / "invites" counters (and the
user's "roles" counter) by themselves.
"""

import logging
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from core.accounts import UNVERIFIED, is_verified, same_address
from core.broadcast import push_after_commit
from core.changes import record_change
from core.links import absolute_url
from core.mail import send_after_commit
from core.sockets import account_group
from notifications.models import Notification
from notifications.services import mark_read_leading_to, notify

from .models import EventRole, Role, RoleInvite, hash_token
from .names import ORGANIZER, ROLE_LABELS, TRACK_SCOPED_ROLES

logger = logging.getLogger(__name__)
INVITE_LIFETIME = timedelta(days=14)


class LastOrganizerError(ValidationError):
    def __init__(self):
        super().__init__("An event needs at least one organizer: add another organizer first.", code="last_organizer")


class AlreadyHoldsRoleError(ValidationError):
    def __init__(self):
        # The code goes on the field's error: Django ignores a code given beside a dict of messages.
        super().__init__(
            {"role": ValidationError("This person already holds that role in the event.", code="already_holds_role")}
        )


class AlreadyInTeamError(ValidationError):
    def __init__(self, role_name):
        super().__init__(
            {
                "email": ValidationError(
                    f"This person is already {ROLE_LABELS[role_name]} of this event: "
                    "change their role on the team page instead.",
                    code="already_in_team",
                )
            }
        )


def _access_changed(user_id, event_id):
    """After commit, tell the person's open sockets of the event to ask the engine again (once)."""
    push_after_commit([(account_group(user_id), {"type": "access.changed", "event": event_id})])


def _check_tracks(role_name, tracks, event_id):
    tracks = list(tracks or [])
    if tracks and role_name not in TRACK_SCOPED_ROLES:
        raise ValidationError({"tracks": f"Only {' and '.join(sorted(TRACK_SCOPED_ROLES))} roles can be limited."})
    if any(track.event_id != event_id for track in tracks):
        raise ValidationError({"tracks": "Every track must belong to this event."})
    return tracks


def _refuse_if_holding(*, event_id, role, user_id, excluding=None):
    """Raise AlreadyHoldsRoleError when the user holds the role in the event."""
    holders = EventRole.objects.filter(event_id=event_id, role=role, user_id=user_id)
    if excluding is not None:
        holders = holders.exclude(pk=excluding.pk)
    if holders.exists():
        raise AlreadyHoldsRoleError()


@transaction.atomic
def grant_role(*, user, event, role_name, granted_by, tracks=None):
    """Give the user a role in the event; writes EventRole (bumping the roles counters) and notifies them.

    Raises AlreadyHoldsRoleError when the user holds that role already.
    """
    role = Role.objects.get(name=role_name)
    tracks = _check_tracks(role_name, tracks, event.pk)
    _refuse_if_holding(event_id=event.pk, role=role, user_id=user.pk)
    event_role = EventRole.objects.create(user=user, event=event, role=role)
    if tracks:
        event_role.tracks.set(tracks)
    record_change(kind="role.granted", obj=event_role)
    _access_changed(user.pk, event.pk)
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
    """Count the event's organizers other than ``excluding``, locking all their rows so two removals cannot both pass.

    Every organizer row is locked, the one leaving included, in one order (by id): two organizers
    removing each other at once then queue on the same rows instead of each holding the row the
    other deletes (a deadlock); the second counts again once the first has committed.
    """
    locked = EventRole.objects.select_for_update().filter(event_id=event_id, role__name=ORGANIZER).order_by("pk")
    pks = list(locked.values_list("pk", flat=True))
    return len([pk for pk in pks if excluding is None or pk != excluding.pk])


def check_role_change(*, event_role, role_name, tracks=None):
    """Raise ValidationError unless the role may become ``role_name`` with these tracks; call in a transaction.

    Demoting the last organizer, holding a role twice and foreign or
    misplaced track limits are refused. change_role() calls it; the admin's
    form calls it too, to show the refusal on the form.
    """
    role = Role.objects.get(name=role_name)
    tracks = _check_tracks(role_name, tracks, event_role.event_id)
    demoting = event_role.role.name == ORGANIZER and role_name != ORGANIZER
    if demoting and _organizer_count(event_role.event_id, excluding=event_role) == 0:
        raise LastOrganizerError()
    _refuse_if_holding(event_id=event_role.event_id, role=role, user_id=event_role.user_id, excluding=event_role)
    return role, tracks


@transaction.atomic
def change_role(*, event_role, role_name, changed_by, tracks=None):
    """Change an EventRole to another role (and track limit); writes EventRole and notifies the person.

    Refuses to demote the last organizer (LastOrganizerError).
    """
    role, tracks = check_role_change(event_role=event_role, role_name=role_name, tracks=tracks)
    old_name = event_role.role.name
    old_tracks = set(event_role.tracks.values_list("pk", flat=True))
    event_role.role = role
    event_role.save(update_fields=["role", "updated_at", "version"])
    event_role.tracks.set(tracks)
    record_change(kind="role.changed", obj=event_role)
    _access_changed(event_role.user_id, event_role.event_id)
    if changed_by.pk == event_role.user_id:
        return event_role
    event = event_role.event
    label, link = ROLE_LABELS[role_name], f'<a href="{_dashboard(event)}">{escape(event.name)}</a>'
    if old_name != role_name:
        title = f"Your role in {event.name} changed to {label}"
        message = f"<p>You are now <strong>{label}</strong> of {link} (was {ROLE_LABELS[old_name]}).</p>"
    elif old_tracks != {track.pk for track in tracks}:
        title = f"Your tracks in {event.name} changed"
        message = f"<p>As <strong>{label}</strong> of {link} you now work on {escape(tracks_in_words(tracks))}.</p>"
    else:
        return event_role
    notify(event_role.user_id, action=Notification.ROLE_CHANGED, title=title, message=message, url=_dashboard(event))
    return event_role


def tracks_in_words(tracks):
    """What a track-limited role reaches, in words: "every track", or the tracks' names."""
    return ", ".join(sorted(track.name for track in tracks)) if tracks else "every track"


def check_role_removal(*, event_role):
    """Raise LastOrganizerError when removing the role would leave the event without an organizer."""
    if event_role.role.name == ORGANIZER and _organizer_count(event_role.event_id, excluding=event_role) == 0:
        raise LastOrganizerError()


@transaction.atomic
def remove_role(*, event_role, removed_by):
    """Delete an EventRole (bumping the roles counters); refuses to remove the last organizer; notifies the person."""
    check_role_removal(event_role=event_role)
    event = event_role.event
    user_id, role_name = event_role.user_id, event_role.role.name
    who = {"user": user_id, "user_email": event_role.user.email, "role": role_name}
    record_change(kind="role.removed", obj=event_role, data=who)
    event_role.delete()
    _access_changed(user_id, event.pk)
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

    Returns (invite, token); the token is shown once and only its hash is
    stored. A new invite to the same address replaces its pending one in the
    event. Raises AlreadyHoldsRoleError when the address holds the role already,
    AlreadyInTeamError when it holds another role in the event (an invite would
    give a second role beside it, not change it).
    """
    email = email.strip()
    role = Role.objects.get(name=role_name)
    held = list(
        EventRole.objects.filter(same_address(email, "user__email"), event=event).values_list("role__name", flat=True)
    )
    if role_name in held:
        raise AlreadyHoldsRoleError()
    if held:
        raise AlreadyInTeamError(held[0])
    RoleInvite.objects.filter(same_address(email), event=event, state=RoleInvite.PENDING).update(
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
    existing = get_user_model()._default_manager.filter(same_address(email)).first()
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
        signup_url = absolute_url(f"{reverse('signup')}?{urlencode({'invite': token, 'email': email})}")
        subject = f"Invitation: {ROLE_LABELS[role_name]} of {event.name}"
        body = (
            f"{invited_by.get_full_name() or invited_by.email} invites you to be "
            f"{ROLE_LABELS[role_name]} of {event.name}.\n\nCreate your account to accept: {signup_url}\n"
        )
        send_after_commit(to=email, subject=subject, body=body)
    return role_invite, token


@transaction.atomic
def cancel_invite(*, role_invite, cancelled_by):
    """Cancel a pending invite (its link stops working); writes RoleInvite. Returns whether it was pending."""
    return bool(
        RoleInvite.objects.filter(pk=role_invite.pk, state=RoleInvite.PENDING).update(
            state=RoleInvite.CANCELLED, responded_at=timezone.now()
        )
    )


class InviteError(ValidationError):
    """Why an invite cannot be answered; ``role_invite`` is the invite when one was found (answered, expired)."""

    role_invite = None


def _pending(role_invite):
    """Return the invite if it can still be answered; raise InviteError saying why not."""
    if role_invite.state != RoleInvite.PENDING:
        error = InviteError(f"This invitation was already {role_invite.state}.", code=role_invite.state)
    elif role_invite.expires_at <= timezone.now():
        error = InviteError("This invitation has expired; ask the organizer for a new one.", code="expired")
    else:
        return role_invite
    error.role_invite = role_invite
    raise error


def _invites(lock):
    queryset = RoleInvite.objects.select_related("event", "role")
    return queryset.select_for_update(of=("self",)) if lock else queryset


def find_invite(token, *, lock=False):
    """Return the pending, unexpired invite for a token, or raise InviteError; ``lock`` holds its row."""
    role_invite = _invites(lock).filter(token_hash=hash_token(token)).first()
    if role_invite is None:
        raise InviteError("This invitation link is not valid.", code="invalid")
    return _pending(role_invite)


def invited_address(token):
    """The address a pending, unexpired invite with this token was mailed to, or None.

    Its link reached only that inbox: whoever follows it to sign up with that address proves they read it.
    """
    try:
        return find_invite(token).email
    except InviteError:
        return None


def find_invite_for(user, invite_id, *, lock=False):
    """Return the invite with this id if it is addressed to the user's email (None otherwise).

    Raises InviteError when it is theirs but answered or expired. The inbox
    links here: an account made after the invitation never saw its token.
    """
    role_invite = _invites(lock).filter(same_address(user.email), pk=invite_id).first()
    return _pending(role_invite) if role_invite is not None else None


def invite_urls(role_invite, token=None):
    """Return the addresses that answer the invite: by its number and, when known, by its token."""
    urls = [reverse("permissions:invite-answer", args=[role_invite.pk])]
    if token:
        urls.append(reverse("permissions:invite-respond", args=[token]))
    return urls


def _answer_invite(user, state, *, token=None, invite_id=None):
    """Mark the user's own pending invite (by token or id) answered with ``state``; call inside a transaction.

    Its notifications are marked read: the invitation is dealt with.
    """
    role_invite = find_invite(token, lock=True) if token else find_invite_for(user, invite_id, lock=True)
    if role_invite is None or role_invite.email.lower() != user.email.lower():
        raise InviteError("This invitation was sent to another email address.", code="wrong_user")
    if state == RoleInvite.ACCEPTED and not is_verified(user):
        # Whoever registered the address first must prove they read it before the role is theirs.
        raise InviteError(UNVERIFIED, code="unverified")
    role_invite.state = state
    role_invite.responded_at = timezone.now()
    role_invite.save(update_fields=["state", "responded_at", "updated_at", "version"])
    mark_read_leading_to(user=user, urls=invite_urls(role_invite, token))
    _tell_the_inviter(role_invite, user)
    return role_invite


def _tell_the_inviter(role_invite, user):
    """Notify whoever sent the invite of its answer, while they are still in the event's team."""
    inviter, event = role_invite.invited_by, role_invite.event
    if inviter is None or inviter.pk == user.pk or not EventRole.objects.filter(event=event, user=inviter).exists():
        return
    verb = "accepted" if role_invite.state == RoleInvite.ACCEPTED else "declined"
    name = user.get_full_name() or user.email
    notify(
        inviter,
        action=Notification.GENERAL,  # a role_invite's link says "Accept or decline"
        title=f"{name} {verb} your invitation to {event.name}",
        message=f"<p>{escape(name)} ({escape(user.email)}) {verb} your invitation to be "
        f"<strong>{ROLE_LABELS[role_invite.role.name]}</strong> of {escape(event.name)}.</p>",
        url=reverse("permissions:team", args=[event.pk]),
    )


@transaction.atomic
def accept_invite(*, user, token=None, invite_id=None):
    """Accept an invite (by token or id) addressed to the user's verified email: grants the role, marks it used.

    Its notifications are marked read. Someone who joined the team otherwise since the invite was sent
    keeps their role: InviteError (the invite stays open, to decline).
    """
    role_invite = _answer_invite(user, RoleInvite.ACCEPTED, token=token, invite_id=invite_id)
    held = EventRole.objects.filter(event=role_invite.event, user=user).values_list("role__name", flat=True).first()
    if held is not None:
        raise InviteError(
            f"You are already {ROLE_LABELS[held]} of {role_invite.event.name}: "
            "ask its organizers to change your role instead.",
            code="already_in_team",
        )
    return grant_role(user=user, event=role_invite.event, role_name=role_invite.role.name, granted_by=None)


@transaction.atomic
def decline_invite(*, user, token=None, invite_id=None):
    """Decline an invite (by token or id) addressed to the user's email; marks it used, its notifications read."""
    return _answer_invite(user, RoleInvite.DECLINED, token=token, invite_id=invite_id)


def notify_pending_invites(*, user):
    """Notify a new account of each pending invite to its address (it had only the email); writes Notifications."""
    pending = RoleInvite.objects.filter(
        same_address(user.email), state=RoleInvite.PENDING, expires_at__gt=timezone.now()
    ).select_related("event", "role", "invited_by")
    for role_invite in pending:
        inviter = role_invite.invited_by
        inviter_name = escape(inviter.get_full_name() or inviter.email) if inviter else "The organizers"
        url = reverse("permissions:invite-answer", args=[role_invite.pk])
        label = ROLE_LABELS[role_invite.role.name]
        notify(
            user,
            action=Notification.ROLE_INVITE,
            title=f"Invitation: {label} of {role_invite.event.name}",
            message=f"<p>{inviter_name} invites you to be <strong>{label}</strong> of "
            f'{escape(role_invite.event.name)}. <a href="{url}">Accept or decline</a>.</p>',
            url=url,
        )


def _dashboard(event):
    return reverse("events:dashboard", args=[event.pk])
