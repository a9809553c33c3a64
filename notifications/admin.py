from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "action", "received_at", "has_read"]
    list_filter = ["action", "has_read"]
    search_fields = ["title", "user__email"]
    raw_id_fields = ["user"]
