"""A webhook of an event, and the log of what was sent to it (one row per attempt, kept 30 days)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.versioning import VersionedModel


def new_message_id():
    """Return a webhook-id: the same for every attempt to deliver one message, so receivers can dedupe."""
    return f"msg_{uuid.uuid4().hex}"


class Webhook(VersionedModel):
    """Where an event's changes of the chosen kinds are POSTed, signed, as its owner may see them."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField("URL", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    kinds = models.JSONField(default=list, help_text="The kinds of change to deliver (events/webhooks/kinds.py).")
    active = models.BooleanField(default=True)
    # The signing secret, encrypted (events/webhooks/signing.py); after a rotation the previous one
    # signs too until previous_secret_expires_at.
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Payloads show objects as this person may see them (their permissions when a change is sent).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Why the site switched it off (410 Gone, failing for three days); cleared when it is switched on again.
    disabled_reason = models.CharField(max_length=200, blank=True, editable=False)

    version_list, service = "webhooks", "webhook"
    public_rows = None

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["event", "active"], name="webhook_event_active")]

    def __str__(self):
        return self.description or self.url


class WebhookDelivery(models.Model):
    """One attempt to deliver one message to a webhook: scheduled, then succeeded or failed.

    A failed attempt that may be retried schedules the next one as a new row
    with the same message id and body; the log is these rows.
    """

    PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
    STATES = [(PENDING, "Pending"), (SUCCEEDED, "Succeeded"), (FAILED, "Failed")]

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=40, default=new_message_id)
    kind = models.CharField(max_length=40)
    body = models.TextField(help_text="The JSON sent, byte for byte.")
    attempt = models.PositiveSmallIntegerField(default=1)
    # Sent by hand (a ping, a redelivery): attempted once, never disables the webhook.
    manual = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=STATES, default=PENDING)
    # The receiver's host: at most settings.WEBHOOK_MAX_IN_FLIGHT attempts to one host at once.
    host = models.CharField(max_length=255)
    # When the message was first made: retries stop three days after it.
    message_at = models.DateTimeField(default=timezone.now)
    scheduled_at = models.DateTimeField(default=timezone.now)
    # When a task was last queued for this attempt (the sweep queues it again if it got lost).
    nudged_at = models.DateTimeField(null=True, blank=True)
    # Held by a worker until then; a worker killed meanwhile leaves it to be taken again.
    locked_until = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    response_excerpt = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["webhook", "-created_at"], name="delivery_webhook_recent"),
            models.Index(fields=["state", "scheduled_at"], name="delivery_due"),
            models.Index(fields=["host", "state", "locked_until"], name="delivery_in_flight"),
            models.Index(fields=["created_at"], name="delivery_created"),
        ]

    def __str__(self):
        return f"{self.kind} {self.message_id} attempt {self.attempt} ({self.state})"
