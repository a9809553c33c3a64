"""Tickets in Django admin, behind the permission engine like the other services."""

from django import forms
from django.contrib import admin

from events.admin import ServiceAdmin
from permissions.admin import EventScopedAdmin

from .models import Order, OrderPosition, Ticket
from .orders.stock import check_quantity


class TicketAdminForm(forms.ModelForm):
    def clean_quantity(self):
        # Django admin saves in the transaction its change view opened: the row stays locked until stored.
        quantity = self.cleaned_data["quantity"]
        check_quantity(self.instance, quantity)
        return quantity


@admin.register(Ticket)
class TicketAdmin(ServiceAdmin):
    service = Ticket.service
    form = TicketAdminForm
    list_display = ["name", "event", "type", "price", "quantity", "hidden", "sales_starts_at", "sales_ends_at"]
    list_filter = ["type", "hidden"]
    search_fields = ["name", "event__name"]
    readonly_fields = ["version", "created_at", "updated_at"]


class OrderPositionInline(admin.TabularInline):
    model = OrderPosition
    fields = ["ticket", "attendee_name", "attendee_email", "price"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(EventScopedAdmin):
    """Orders, read-only: paying, cancelling and deleting go through the services (organizer pages, API)."""

    service = Order.service
    list_display = ["code", "event", "name", "email", "status", "total", "created_at"]
    list_filter = ["status"]
    list_select_related = ["event"]
    search_fields = ["code", "name", "email", "event__name"]
    readonly_fields = [
        "event",
        "code",
        "name",
        "email",
        "status",
        "total",
        "expires_at",
        "paid_at",
        "cancelled_at",
        "created_at",
        "updated_at",
        "version",
    ]
    exclude = ["placed_by"]
    inlines = [OrderPositionInline]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
