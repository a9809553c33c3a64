"""What the worker does: turn recorded changes into deliveries, attempt them, retry, give up, sweep.

- ``relay_changes``: the outbox's relay. Reads the core.Change rows that
  writes left, makes one delivery per matching webhook (the body built now,
  as the webhook's owner may see the object), deletes the rows; all in one
  transaction, so a worker killed meanwhile leaves them for the next.
- ``attempt``: takes one due delivery (a lease, so a killed worker's
  delivery is taken again once the lease ends), POSTs it outside any
  transaction, records the outcome, and schedules the next attempt with
  exponential backoff for three days; a 410, or three days of failure,
  switches the webhook off and tells the event's team.
- ``sweep``: what no task may be waiting for: old changes, attempts whose
  task was lost or whose worker died, and the log beyond 30 days.
"""

import hashlib
import logging
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from core.models import Change
from core.tasks import enqueue_on_commit, stores_in_database
from permissions.engine import permissions_for

from . import payloads, sending, services, signing
from .models import Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

RETRY_FOR = timedelta(days=3)
FIRST_WAIT, LONGEST_WAIT = timedelta(seconds=30), timedelta(hours=12)
KEEP_LOG = timedelta(days=30)
# A change the relay's task should have taken by now; a queued attempt nobody took (its task was lost).
CHANGE_OVERDUE, NUDGE_AGAIN = timedelta(seconds=10), timedelta(minutes=5)
# How long a receiver that has no free slot waits before the attempt looks again.
SLOT_WAIT = timedelta(seconds=1)
BATCH = 200


def backoff(attempt):
    """Return the wait after the ``attempt``-th failure: 30 s, doubling each time, at most 12 h."""
    return min(FIRST_WAIT * 2 ** (attempt - 1), LONGEST_WAIT)


def lease():
    """How long a worker holds an attempt: time enough to send it twice over."""
    return timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT + 5)


def wanted_kinds(event_ids, using):
    """Return {event id: kinds its active webhooks want} (the relay's answer to core.changes); one query."""
    wanted = {}
    rows = Webhook.objects.using(using).filter(event_id__in=event_ids, active=True).values_list("event_id", "kinds")
    for event_id, kinds in rows:
        wanted.setdefault(event_id, set()).update(kinds)
    return wanted


def schedule_relay(using):
    """Have the changes the writer's transaction recorded relayed (core.changes calls this once it recorded some).

    With the database queue the write adds nothing to its change row: every
    worker relays waiting changes between tasks (settings.TASKS_HOUSEKEEPING),
    and on PostgreSQL the row's insert wakes the idle ones at commit
    (core/migrations/0007). Any other queue gets the relay's task after commit.
    """
    from .tasks import relay

    if stores_in_database(relay.get_backend()):
        return
    enqueue_on_commit(relay, using=using)


def relay_changes(*, older_than=None):
    """Turn recorded changes into deliveries, in batches, until none are left; return how many were relayed."""
    total = 0
    while True:
        count = _relay_batch(older_than)
        total += count
        if count < BATCH:
            return total


def _relay_batch(older_than):
    with transaction.atomic():
        pending = Change.objects.select_for_update(skip_locked=True).order_by("id")
        if older_than is not None:
            pending = pending.filter(created_at__lt=timezone.now() - older_than)
        changes = list(pending[:BATCH])
        if not changes:
            return 0
        deliveries = _deliveries_for(changes)
        WebhookDelivery.objects.bulk_create(deliveries)
        Change.objects.filter(pk__in=[change.pk for change in changes]).delete()
        from .tasks import deliver

        for delivery in deliveries:
            enqueue_on_commit(deliver, delivery.pk)
    return len(changes)


def _deliveries_for(changes):
    """Return the unsaved deliveries of the changes: one per active webhook that wants the kind and may read it."""
    event_ids = {change.event_id for change in changes}
    events = apps.get_model("events", "Event").objects.in_bulk(event_ids)
    hooks = {}
    for webhook in Webhook.objects.filter(event_id__in=event_ids, active=True).select_related("created_by"):
        hooks.setdefault(webhook.event_id, []).append(webhook)
    wanted = [change for change in changes if any(change.kind in hook.kinds for hook in hooks.get(change.event_id, ()))]
    objects = payloads.load_objects(wanted)
    owners, now, deliveries = {}, timezone.now(), []
    for change in wanted:
        event = events.get(change.event_id)
        for webhook in hooks[change.event_id]:
            if change.kind not in webhook.kinds or webhook.created_by_id is None or event is None:
                continue
            owner = owners.setdefault(webhook.created_by_id, webhook.created_by)
            permissions = permissions_for(owner, event.pk)
            if not payloads.may_read(permissions, change):
                continue
            obj = objects.get((change.model, change.object_id))
            data = payloads.data_of(change, obj, event=event, permissions=permissions)
            body = payloads.body(kind=change.kind, timestamp=change.created_at, event_id=event.pk, data=data)
            deliveries.append(
                WebhookDelivery(
                    webhook=webhook,
                    kind=change.kind,
                    body=body,
                    host=_host(webhook.url),
                    message_at=now,
                    scheduled_at=now,
                    nudged_at=now,
                    created_at=now,
                )
            )
    return deliveries


def _host(url):
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or ""


def _lock_host(host):
    """Serialize the claims of one receiver's slots across workers (PostgreSQL; SQLite writers are serial anyway)."""
    connection = connections["default"]
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.blake2b(host.encode(), digest_size=8).digest(), "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def attempt(delivery_id):
    """Attempt one delivery if it is due and free; return what happened (for the task's result)."""
    claimed = _claim(delivery_id)
    if isinstance(claimed, str):
        return claimed
    delivery, url, secrets_ = claimed
    body = delivery.body.encode()
    headers = signing.headers(secrets_, delivery.message_id, timezone.now().timestamp(), body)
    outcome = sending.post(url, body, headers, timeout=settings.WEBHOOK_TIMEOUT)
    return _record(delivery, outcome)


def _claim(delivery_id):
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("webhook__event")
            .filter(pk=delivery_id, state=WebhookDelivery.PENDING)
            .first()
        )
        if delivery is None:
            return "gone"
        if delivery.scheduled_at > now or (delivery.locked_until and delivery.locked_until > now):
            return "not due"
        webhook = delivery.webhook
        if not webhook.active and not delivery.manual:
            _finish(delivery, WebhookDelivery.FAILED, error="Not sent: the webhook is switched off.")
            return "webhook off"
        _lock_host(delivery.host)
        busy = WebhookDelivery.objects.filter(
            host=delivery.host, state=WebhookDelivery.PENDING, locked_until__gt=now
        ).count()
        if busy >= settings.WEBHOOK_MAX_IN_FLIGHT:
            delivery.scheduled_at = delivery.nudged_at = now + SLOT_WAIT
            delivery.save(update_fields=["scheduled_at", "nudged_at"])
            from .tasks import deliver

            enqueue_on_commit(deliver, delivery.pk, run_after=delivery.scheduled_at)
            return "waiting for a slot"
        delivery.locked_until, delivery.started_at = now + lease(), now
        delivery.save(update_fields=["locked_until", "started_at"])
        try:
            secrets_ = services.signing_secrets(webhook, now=now)
        except ValueError as error:
            _finish(delivery, WebhookDelivery.FAILED, error=str(error))
            return "no secret"
    return delivery, webhook.url, secrets_


def _finish(delivery, state, *, status_code=None, duration_ms=None, error="", excerpt=""):
    delivery.state, delivery.status_code, delivery.duration_ms = state, status_code, duration_ms
    delivery.error, delivery.response_excerpt, delivery.locked_until = error[:300], excerpt, None
    delivery.save(update_fields=["state", "status_code", "duration_ms", "error", "response_excerpt", "locked_until"])


def _record(delivery, outcome):
    webhook = delivery.webhook
    with transaction.atomic():
        state = WebhookDelivery.SUCCEEDED if outcome.succeeded else WebhookDelivery.FAILED
        _finish(
            delivery,
            state,
            status_code=outcome.status,
            duration_ms=outcome.duration_ms,
            error=outcome.error,
            excerpt=outcome.excerpt,
        )
        if outcome.succeeded or delivery.manual:
            return state
        if outcome.status == 410:
            services.disable(webhook=webhook, reason="the receiver answered 410 Gone")
            return "gone: switched off"
        now = timezone.now()
        next_at = now + backoff(delivery.attempt)
        if next_at > delivery.message_at + RETRY_FOR:
            services.disable(webhook=webhook, reason=f"deliveries failed for three days ({delivery.attempt} attempts)")
            return "given up: switched off"
        retry = WebhookDelivery.objects.create(
            webhook=webhook,
            message_id=delivery.message_id,
            kind=delivery.kind,
            body=delivery.body,
            attempt=delivery.attempt + 1,
            host=delivery.host,
            message_at=delivery.message_at,
            scheduled_at=next_at,
            nudged_at=now,
            created_at=now,
        )
        from .tasks import deliver

        enqueue_on_commit(deliver, retry.pk, run_after=next_at)
    logger.info(
        "Webhook %s: %s failed (%s); attempt %d at %s",
        webhook.pk,
        delivery.message_id,
        outcome.error or outcome.status,
        retry.attempt,
        next_at,
    )
    return "retry scheduled"


def sweep():
    """Relay changes no task took, queue again attempts whose task was lost or whose worker died, prune the log."""
    relayed = relay_changes(older_than=CHANGE_OVERDUE)
    now = timezone.now()
    from .tasks import deliver

    with transaction.atomic():
        stuck = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(state=WebhookDelivery.PENDING, scheduled_at__lte=now)
            # A lease that ran out (its worker died), or due a while and not queued lately (its task was lost).
            .filter(
                Q(locked_until__lt=now)
                | Q(locked_until__isnull=True, scheduled_at__lt=now - NUDGE_AGAIN, nudged_at__lt=now - NUDGE_AGAIN)
            )
            .order_by("scheduled_at")[:BATCH]
        )
        ids = list(stuck.values_list("pk", flat=True))
        # Its lease is over: the attempt counts as not running, and is queued again only if still waiting in 5 min.
        WebhookDelivery.objects.filter(pk__in=ids).update(nudged_at=now, locked_until=None)
        for pk in ids:
            enqueue_on_commit(deliver, pk)
    pruned = WebhookDelivery.objects.filter(created_at__lt=now - KEEP_LOG).delete()[0]
    if relayed or ids or pruned:
        logger.info(
            "Webhook sweep: %d changes relayed, %d attempts queued again, %d log rows pruned", relayed, len(ids), pruned
        )
    return {"relayed": relayed, "queued": len(ids), "pruned": pruned}
