"""Webhooks in the admin: read through the engine (service "webhook"); changes go through the pages and the API."""

from django.contrib import admin

from permissions.admin import EventScopedAdmin

from .models import Webhook


@admin.register(Webhook)
class WebhookAdmin(EventScopedAdmin):
    """Read-only (the secret never shown): the services keep the rules, the pages and the API call them."""

    service = "webhook"
    list_display = ["url", "event", "active", "created_by", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "event__name"]
    fields = ["event", "url", "description", "kinds", "active", "disabled_reason", "created_by", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False
