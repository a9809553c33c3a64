from django.conf import settings
from django.db import models

from core.versioning import VersionedModel


class Notification(VersionedModel):
    ROLE_INVITE = "role_invite"
    ROLE_CHANGED = "role_changed"
    ROLE_REMOVED = "role_removed"
    EVENT_PUBLISHED = "event_published"
    SESSION_CHANGED = "session_changed"
    GENERAL = "general"
    ACTIONS = [
        (ROLE_INVITE, "Role invite"),
        (ROLE_CHANGED, "Role changed"),
        (ROLE_REMOVED, "Role removed"),
        (EVENT_PUBLISHED, "Event published"),
        (SESSION_CHANGED, "Session changed"),
        (GENERAL, "General"),
    ]

    # No index of its own: both indexes below start with the user (one index fewer to write per notification).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    title = models.CharField(max_length=200)
    message = models.TextField(blank=True, help_text="Sanitized HTML.")
    action = models.CharField(max_length=30, choices=ACTIONS, default=GENERAL)
    url = models.CharField(max_length=500, blank=True, help_text="Where the notification leads.")
    received_at = models.DateTimeField(auto_now_add=True, db_index=False)
    has_read = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)

    # Each user's notifications are one list with its own counter (the API's ETags read it).
    version_scope, version_scope_field, version_list = "user", "user_id", "notifications"

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["user", "has_read", "-received_at"], name="notification_user_unread"),
            models.Index(fields=["user", "-received_at"], name="notification_user_recent"),
        ]

    def __str__(self):
        return f"{self.title} -> {self.user}"
