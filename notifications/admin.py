from django.contrib import admin
from django.db import transaction

from eventsite.versioning import bump

from .models import Notification
from .services import notifications_counter


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

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            bump([notifications_counter(obj.user_id)])

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            user_ids = set(queryset.values_list("user_id", flat=True))
            super().delete_queryset(request, queryset)
            bump([notifications_counter(user_id) for user_id in user_ids])
