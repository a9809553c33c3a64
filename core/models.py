from django.conf import settings
from django.db import models
from django.utils import timezone


class VersionCounter(models.Model):
    """A named modification counter, e.g. ``event.12.tracks``; writes bump it, ETags read it."""

    key = models.CharField(max_length=100, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)
    # When the counter last moved: Last-Modified of what it versions (feeds), at no extra query.
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.key} = {self.value}"


class VerifiedEmail(models.Model):
    """An address its user proved to read (by following the link sent to it); one per user, the current one.

    A user whose email changed is no longer verified: the address must match.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verified_email")
    email = models.EmailField()
    verified_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.email} (verified {self.verified_at:%Y-%m-%d})"


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key``, replayed to repeats of it (core/idempotency.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # sha256 of the method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.TextField(blank=True)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self):
        return f"{self.key} of user {self.user_id} ({self.status})"


class Change(models.Model):
    """A change of an event's data, written in the same transaction as the change itself (core/changes.py).

    The relay of the app that listens (webhooks) reads and deletes these rows
    in a background task. The event and the object are named by id and model
    label only: the ground floor knows no app.
    """

    event_id = models.BigIntegerField()
    kind = models.CharField(max_length=40)
    model = models.CharField(max_length=100)
    object_id = models.BigIntegerField(null=True)
    # The track a track-scoped object sat in when it changed: who may read it is decided by it.
    track_id = models.BigIntegerField(null=True)
    # What the relay cannot read back later, e.g. who held a role that was removed.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.kind} {self.model} {self.object_id} in event {self.event_id}"
