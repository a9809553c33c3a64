"""Tickets in Django admin, behind the permission engine like the other services."""

from django.contrib import admin

from events.admin import ServiceAdmin

from .models import Ticket


@admin.register(Ticket)
class TicketAdmin(ServiceAdmin):
    service = Ticket.service
    list_display = ["name", "event", "type", "price", "quantity", "hidden", "sales_starts_at", "sales_ends_at"]
    list_filter = ["type", "hidden"]
    search_fields = ["name", "event__name"]
    readonly_fields = ["version", "created_at", "updated_at"]
