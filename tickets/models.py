"""Tickets of an event: free, paid or donation, each with its sales window and order limits.

Orders and their positions live in tickets/orders/models.py and are imported
at the end of this module, where Django looks for the app's models.
"""

import secrets
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core.links import absolute_url
from core.money import money
from core.names import unique_name_per_event
from core.versioning import VersionedModel, VersionedQuerySet
from events.models import NO_PAYMENT_INSTRUCTIONS


class TicketQuerySet(VersionedQuerySet):
    def public(self):
        """Return the tickets anyone may see (not hidden)."""
        return self.filter(hidden=False)

    def on_sale(self, *, now=None, event=None):
        """Return the non-hidden tickets whose sales window is open now (no end: until the event ends).

        Pass the tickets' event when it is at hand: its end is then not joined in.
        """
        now = now or timezone.now()
        started = Q(sales_starts_at__isnull=True) | Q(sales_starts_at__lte=now)
        if event is None:
            open_ended = Q(sales_ends_at__isnull=True, event__ends_at__gt=now)
        else:
            open_ended = Q(sales_ends_at__isnull=True) if event.ends_at > now else Q(pk__in=[])
        return self.public().filter(started & (Q(sales_ends_at__gt=now) | open_ended))


def new_ticket_secret():
    """Return a fresh secret for a ticket's link (hidden tickets are sold only through it)."""
    return secrets.token_urlsafe(16)


class Ticket(VersionedModel):
    FREE, PAID, DONATION = "free", "paid", "donation"
    TYPES = [(FREE, "Free"), (PAID, "Paid"), (DONATION, "Donation")]

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="tickets")
    type = models.CharField(max_length=10, choices=TYPES, default=FREE)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    price = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(0)]
    )
    min_price = models.DecimalField(
        "minimum donation",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Donation tickets only; leave empty for any amount.",
    )
    quantity = models.PositiveIntegerField(default=100)
    sales_starts_at = models.DateTimeField(
        "sales start", null=True, blank=True, help_text="Empty: on sale as soon as the event is published."
    )
    sales_ends_at = models.DateTimeField("sales end", null=True, blank=True, help_text="Empty: until the event ends.")
    min_order = models.PositiveIntegerField("minimum per order", default=1, validators=[MinValueValidator(1)])
    max_order = models.PositiveIntegerField("maximum per order", default=10, validators=[MinValueValidator(1)])
    hidden = models.BooleanField(default=False, help_text="Hidden tickets are not shown on the public page.")
    # Opens the public page with this ticket on offer even while it is hidden; organizers copy the link.
    secret = models.CharField(max_length=32, default=new_ticket_secret, editable=False)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TicketQuerySet.as_manager()

    version_list, service = "tickets", "ticket"
    change_name = "ticket"
    # Hidden tickets are the team's: editing one leaves what the public observes (ETags, sockets) alone.
    public_rows = {"hidden": (False,)}

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            unique_name_per_event("ticket", "Another ticket of this event has this name."),
            models.CheckConstraint(condition=Q(type__in=["free", "paid", "donation"]), name="ticket_type_known"),
            models.CheckConstraint(condition=Q(price__gte=0), name="ticket_price_not_negative"),
            # Paid tickets cost something; the others carry no fixed price.
            models.CheckConstraint(
                condition=Q(type="paid", price__gt=0) | (~Q(type="paid") & Q(price=0)),
                name="ticket_price_matches_type",
            ),
            models.CheckConstraint(
                condition=Q(min_price__isnull=True) | Q(type="donation", min_price__gte=0),
                name="ticket_min_price_donation_only",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="ticket_quantity_not_negative"),
            models.CheckConstraint(
                condition=Q(min_order__gte=1) & Q(max_order__gte=F("min_order")), name="ticket_order_limits"
            ),
            models.CheckConstraint(
                condition=Q(sales_starts_at__isnull=True)
                | Q(sales_ends_at__isnull=True)
                | Q(sales_ends_at__gt=F("sales_starts_at")),
                name="ticket_sales_end_after_start",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def secret_link(self):
        """Return the absolute link of the public page offering this ticket, hidden or not (for organizers only)."""
        return absolute_url(f"{reverse('public:event', args=[self.event.slug])}?access={self.secret}")

    @property
    def price_label(self):
        """Return the price as shown to buyers, without a currency (the API's ``price_label``)."""
        return self.price_text()

    def price_text(self, currency=None):
        """Return the price as shown to buyers: "25.00 EUR", "Pay what you want (from 5.00 EUR)", "Free"."""

        def written(amount):
            return money(amount, currency) if currency else f"{amount:.2f}"

        if self.type == self.PAID:
            return written(self.price)
        if self.type == self.DONATION:
            return f"Pay what you want (from {written(self.min_price)})" if self.min_price else "Pay what you want"
        return "Free"

    def clean(self):
        """Check the rules that involve several fields or the event; values left None are skipped."""
        errors = {}
        price, min_price = self.price, self.min_price
        if self.type == self.PAID and price is not None and price <= 0:
            errors["price"] = "A paid ticket needs a price above 0."
        elif self.type == self.FREE and price:
            errors["price"] = "A free ticket has no price."
        elif self.type == self.DONATION and price:
            errors["price"] = "A donation ticket has no fixed price; set a minimum instead."
        if min_price is not None and self.type != self.DONATION:
            errors["min_price"] = "Only donation tickets take a minimum."
        if self.min_order is not None and self.max_order is not None and self.max_order < self.min_order:
            errors["max_order"] = f"The maximum per order must be at least the minimum ({self.min_order})."
        elif self.min_order is not None and self.quantity is not None and self.min_order > self.quantity:
            # A maximum above the quantity is no error: a buyer is offered at most what is left.
            errors["min_order"] = (
                f"The minimum per order cannot exceed the quantity ({self.quantity}): nobody could buy this ticket."
            )
        starts, ends = self.sales_starts_at, self.sales_ends_at
        if starts and ends and ends <= starts:
            errors["sales_ends_at"] = "Sales must end after they start."
        event = self.event if self.event_id else None
        if event is not None and event.is_published and event.sells_without_saying_how({self.type}):
            errors["type"] = NO_PAYMENT_INSTRUCTIONS
        if event is not None and event.ends_at:
            limit = event.local_time(event.ends_at)
            if ends and ends > event.ends_at and "sales_ends_at" not in errors:
                errors["sales_ends_at"] = f"Sales must end no later than the event ends ({limit})."
            if starts and starts >= event.ends_at:
                errors["sales_starts_at"] = f"Sales must start before the event ends ({limit})."
        if errors:
            raise ValidationError(errors)


from .orders.models import Order, OrderPosition  # noqa: E402 (Django finds the app's models here)

__all__ = ["Order", "OrderPosition", "Ticket"]
