"""Organizer pages of an event's orders: the list (search, filters, pages), one order, its actions, the attendee CSV.

Every page goes through the one HTML door with the service "order": read to
look, update to mark paid, cancel or resend, delete to remove a closed order.
"""

import csv

from django.contrib import messages
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View, generic

from core.forms import as_id
from permissions.mixins import EventPermissionMixin
from permissions.names import DELETE, READ, UPDATE

from ..models import Ticket
from .models import Order, OrderPosition
from .services import (
    OrderStateError,
    SoldOut,
    cancel_order,
    delete_order,
    expire_if_overdue,
    expire_overdue,
    mark_paid,
    resend_email,
)
from .stock import count_of_positions, holding

CSV_COLUMNS = ["order", "status", "ticket", "attendee", "attendee email", "price", "buyer", "buyer email", "ordered"]


class OrdersMixin(EventPermissionMixin):
    service = "order"

    def orders(self):
        return Order.objects.filter(event=self.event)

    def get_order(self):
        order = get_object_or_404(self.orders(), pk=self.kwargs["pk"])
        order.event = self.event
        return order

    def detail_url(self, order):
        return reverse("orders:detail", args=[self.event.pk, order.pk])

    def confirm(self, order, verb):
        """Ask before an action that cannot be undone (works without JavaScript)."""
        context = {"event": self.event, "order": order, "verb": verb, "perms_event": self.event_permissions}
        return render(self.request, "tickets/order_confirm.html", context)


class OrderListView(OrdersMixin, generic.ListView):
    template_name = "tickets/orders_list.html"
    operation = READ
    paginate_by = 50
    context_object_name = "orders"

    def get_queryset(self):
        expire_overdue(event=self.event)
        # A subquery per order of the page: a join with GROUP BY had PostgreSQL count the positions of
        # every order of the site, for the page and again for the paginator's count.
        orders = self.orders().annotate(position_count=count_of_positions(Q(order=OuterRef("pk"))))
        query = self.request.GET.get("q", "").strip()
        if query:
            orders = orders.filter(Q(code__iexact=query) | Q(name__icontains=query) | Q(email__icontains=query))
        status = self.request.GET.get("status", "")
        if status in dict(Order.STATUSES):
            orders = orders.filter(status=status)
        ticket_id = as_id(self.request.GET.get("ticket", ""))
        if ticket_id is not None:
            orders = orders.filter(Exists(OrderPosition.objects.filter(order=OuterRef("pk"), ticket_id=ticket_id)))
        return orders

    def get_context_data(self, **kwargs):
        kept = self.request.GET.copy()
        kept.pop("page", None)
        return super().get_context_data(
            statuses=Order.STATUSES,
            tickets=Ticket.objects.filter(event=self.event).only("pk", "name"),
            filters={key: self.request.GET.get(key, "") for key in ("q", "status", "ticket")},
            page_query=kept.urlencode(),
            can_update=self.event_permissions.can(UPDATE, "order"),
            **kwargs,
        )


class OrderDetailView(OrdersMixin, generic.TemplateView):
    template_name = "tickets/order_detail.html"
    operation = READ

    def get_context_data(self, **kwargs):
        order = expire_if_overdue(order=self.get_order())
        perms = self.event_permissions
        return super().get_context_data(
            order=order,
            positions=order.positions.select_related("ticket"),
            can_update=perms.can(UPDATE, "order"),
            can_delete=perms.can(DELETE, "order") and order.status in Order.CLOSED,
            buyer_url=self.request.build_absolute_uri(order.get_absolute_url()),
            **kwargs,
        )


class OrderActionView(OrdersMixin, View):
    """POST mark-paid / resend: do it and go back to the order. Cancel asks first (GET shows the question)."""

    operation = UPDATE
    actions = ("mark-paid", "cancel", "resend")

    def dispatch(self, request, *args, **kwargs):
        if kwargs["action"] not in self.actions:
            raise Http404("No such action.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        order = self.get_order()
        if self.kwargs["action"] != "cancel":
            return redirect(self.detail_url(order))
        return self.confirm(order, "cancel")

    def post(self, request, *args, **kwargs):
        order, action = self.get_order(), self.kwargs["action"]
        try:
            if action == "mark-paid":
                mark_paid(order=order)
                messages.success(request, f"Order {order.code} is paid; the buyer gets an email.")
            elif action == "cancel":
                if cancel_order(order=order):
                    messages.success(request, f"Order {order.code} is cancelled; its tickets are on sale again.")
                else:
                    messages.info(request, f"Order {order.code} was cancelled already.")
            else:
                resend_email(order=order)
                messages.success(request, f"The email about order {order.code} is on its way to {order.email}.")
        except (OrderStateError, SoldOut) as error:
            messages.error(request, error.message)
        return redirect(self.detail_url(order))


class OrderDeleteView(OrdersMixin, View):
    """GET asks, POST deletes a cancelled or expired order."""

    operation = DELETE

    def get(self, request, *args, **kwargs):
        return self.confirm(self.get_order(), "delete")

    def post(self, request, *args, **kwargs):
        order = self.get_order()
        try:
            delete_order(order=order)
        except OrderStateError as error:
            messages.error(request, error.message)
            return redirect(self.detail_url(order))
        messages.success(request, f"Order {order.code} is deleted.")
        return redirect(reverse("orders:list", args=[self.event.pk]))


def safe_cell(value):
    """Keep a spreadsheet from reading a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class AttendeeExportView(OrdersMixin, View):
    """GET the attendees of the orders that hold tickets (paid, or pending before the deadline) as CSV."""

    operation = READ

    def get(self, request, *args, **kwargs):
        now = timezone.now()
        positions = (
            # By the tickets' event too: the positions are then read through the ticket index, not all scanned.
            OrderPosition.objects.filter(order__event=self.event, ticket__event=self.event)
            .filter(holding(now))
            .select_related("order", "ticket")
            .order_by("order__created_at", "order_id", "id")
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.event.slug}-attendees.csv"'
        writer = csv.writer(response)
        # Times as the event's people read them (the door made its zone the current one, as for the pages), in the
        # form spreadsheets read as times.
        writer.writerow([*CSV_COLUMNS[:-1], f"{CSV_COLUMNS[-1]} ({self.event.timezone})"])
        for position in positions.iterator(chunk_size=500):
            order = position.order
            cells = (
                order.code,
                order.status,
                position.ticket.name,
                position.attendee_name,
                position.attendee_email,
                position.price,
                order.name,
                order.email,
                timezone.localtime(order.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            )
            writer.writerow([safe_cell(cell) for cell in cells])
        return response
