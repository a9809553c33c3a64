"""Verbs on webhooks: keyword-only functions that name their side effects; every door (pages, API) uses them.

The rules live here: the URL may be delivered to (targets.check_url), the
kinds are known ones, a secret given is a proper one, the previous secret
signs along for a day after a rotation.
"""

import json
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.tasks import enqueue_on_commit
from notifications.models import Notification
from notifications.services import notify
from permissions.names import UPDATE
from permissions.queries import users_with_grant

from . import payloads, signing
from .kinds import PING, unknown
from .models import Webhook, WebhookDelivery
from .targets import check_url

ROTATION_OVERLAP = timedelta(hours=24)
FIELDS = ("url", "description", "kinds", "active")


def clean_kinds(kinds):
    """Return the kinds without repeats, or raise ValidationError naming the unknown ones."""
    if not isinstance(kinds, list | tuple) or not all(isinstance(kind, str) for kind in kinds):
        raise ValidationError({"kinds": "Send a list of kinds of change."}, code="invalid")
    wrong = unknown(kinds)
    if wrong:
        raise ValidationError({"kinds": f"Unknown kind of change: {', '.join(wrong)}."}, code="unknown_kind")
    if not kinds:
        raise ValidationError({"kinds": "Choose at least one kind of change."}, code="required")
    return list(dict.fromkeys(kinds))


def _check(fields):
    errors = {}
    if "url" in fields:
        try:
            fields["url"] = check_url(fields["url"])
        except ValidationError as error:
            errors["url"] = error.messages
    if "kinds" in fields:
        try:
            fields["kinds"] = clean_kinds(fields["kinds"])
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return fields


def _checked_secret(secret):
    if secret is None or secret == "":
        return signing.new_secret()
    try:
        signing.secret_bytes(secret)
    except ValidationError as error:
        raise ValidationError({"secret": error.messages}) from None
    return secret


@transaction.atomic
def create_webhook(*, event, by, url, kinds, description="", active=True, secret=None):
    """Create a webhook of the event owned by ``by``; writes Webhook. Returns (webhook, secret): shown once."""
    fields = _check({"url": url, "kinds": kinds})
    secret = _checked_secret(secret)
    webhook = Webhook.objects.create(
        event=event,
        created_by=by,
        description=description,
        active=active,
        secret_encrypted=signing.encrypt(secret),
        **fields,
    )
    return webhook, secret


@transaction.atomic
def update_webhook(*, webhook, **changes):
    """Change the URL, description, kinds or active flag; writes Webhook. Switching it on clears why it was off."""
    unknown_fields = sorted(set(changes) - set(FIELDS))
    if unknown_fields:
        raise ValidationError(dict.fromkeys(unknown_fields, "This field cannot be changed here."))
    changes = _check(dict(changes))
    for name, value in changes.items():
        setattr(webhook, name, value)
    if changes.get("active"):
        webhook.disabled_reason = ""
    webhook.save()
    return webhook


@transaction.atomic
def rotate_secret(*, webhook, secret=None, now=None):
    """Give the webhook a new secret; the current one keeps signing for 24 h. Writes Webhook; returns the new secret."""
    secret = _checked_secret(secret)
    webhook.previous_secret_encrypted = webhook.secret_encrypted
    webhook.previous_secret_expires_at = (now or timezone.now()) + ROTATION_OVERLAP
    webhook.secret_encrypted = signing.encrypt(secret)
    webhook.save()
    return secret


def signing_secrets(webhook, *, now=None):
    """Return the secrets that sign a delivery now: the current one, and the previous one within its day."""
    found = [signing.decrypt(webhook.secret_encrypted)]
    expires = webhook.previous_secret_expires_at
    if webhook.previous_secret_encrypted and expires and expires > (now or timezone.now()):
        found.append(signing.decrypt(webhook.previous_secret_encrypted))
    return found


def delete_webhook(*, webhook):
    """Delete the webhook with its delivery log; writes Webhook."""
    webhook.delete()


def new_delivery(*, webhook, kind, body, message_id=None, manual=False, now=None):
    """Create a message's first attempt to the webhook, queued with the transaction; writes WebhookDelivery."""
    now = now or timezone.now()
    extra = {"message_id": message_id} if message_id else {}
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        kind=kind,
        body=body,
        manual=manual,
        host=urlsplit(webhook.url).hostname or "",
        message_at=now,
        scheduled_at=now,
        nudged_at=now,
        created_at=now,
        **extra,
    )
    from .tasks import deliver

    enqueue_on_commit(deliver, delivery.pk)
    return delivery


@transaction.atomic
def send_ping(*, webhook):
    """Queue a "ping" to the webhook (sent once, even while it is off); writes WebhookDelivery."""
    now = timezone.now()
    data = {"webhook": webhook.pk, "url": webhook.url}
    body = payloads.body(kind=PING, timestamp=now, event_id=webhook.event_id, data=data)
    return new_delivery(webhook=webhook, kind=PING, body=body, manual=True, now=now)


@transaction.atomic
def redeliver(*, delivery):
    """Queue the delivery's message again, same id and body (sent once); writes WebhookDelivery."""
    return new_delivery(
        webhook=delivery.webhook,
        kind=delivery.kind,
        body=delivery.body,
        message_id=delivery.message_id,
        manual=True,
    )


def disable(*, webhook, reason):
    """Switch the webhook off for ``reason`` and tell who may change it in the event; writes Webhook, notifies."""
    with transaction.atomic():
        changed = Webhook.objects.filter(pk=webhook.pk, active=True).update(active=False, disabled_reason=reason[:200])
        if not changed:
            return False
        event = webhook.event
        url = reverse("events:webhooks:detail", args=[event.pk, webhook.pk])
        team = list(users_with_grant(event, "webhook", UPDATE).values_list("pk", flat=True))
        notify(
            team,
            action=Notification.GENERAL,
            title=f"A webhook of {event.name} was switched off",
            message=format_html(
                '<p>The webhook to <a href="{}">{}</a> was switched off: {}. Fix the receiver, then switch it on again '
                "and redeliver what it missed from its log.</p>",
                url,
                webhook.url,
                reason,
            ),
            url=url,
        )
    return True


def body_text(delivery):
    """Return the body as sent, indented for people to read."""
    try:
        return json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False)
    except ValueError:
        return delivery.body
