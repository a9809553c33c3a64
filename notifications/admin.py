from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Look at and delete notifications; they are written only through notifications.services."""

    list_display = ["title", "user", "action", "received_at", "has_read"]
    list_filter = ["action", "has_read"]
    search_fields = ["title", "user__email"]
    raw_id_fields = ["user"]

    # Writing here would skip the sanitizer, the counters (API ETags) and the push.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Deleting is allowed: the versioned model and queryset bump the users' counters themselves.
