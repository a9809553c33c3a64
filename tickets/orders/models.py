"""Orders and their positions: who bought which tickets of an event, at what price, and whether they paid.

Stock is never stored: a ticket's availability is computed from the positions
of orders that hold it (tickets/orders/stock.py). An Order is a versioned row
of the event's "orders" list; its positions are written only together with
their order (placed in one go, never edited), so the order's version covers them.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.versioning import Counter, VersionedModel

# Codes people read aloud and type: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


def new_order_code():
    """Return a short random code (unique per event is checked by the database)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_order_secret():
    return secrets.token_urlsafe(16)


def new_position_secret():
    return secrets.token_urlsafe(20)


class Order(VersionedModel):
    PENDING, PAID, CANCELLED, EXPIRED = "pending", "paid", "cancelled", "expired"
    STATUSES = [(PENDING, "Pending payment"), (PAID, "Paid"), (CANCELLED, "Cancelled"), (EXPIRED, "Expired")]
    # Statuses whose positions never hold stock again (by themselves; an organizer may revive an expired one).
    CLOSED = (CANCELLED, EXPIRED)

    # PROTECT: an event with orders is not deleted (events.services.delete_event says why; Django admin lists them).
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="orders")
    code = models.CharField(max_length=16, default=new_order_code)
    secret = models.CharField(max_length=32, default=new_order_secret, editable=False)
    name = models.CharField("buyer's name", max_length=200)
    email = models.EmailField("buyer's email")
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    expires_at = models.DateTimeField("payment deadline", null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The checkout form's one-time token: a second submit of the same form finds this order.
    checkout_token = models.CharField(max_length=64, null=True, blank=True, editable=False)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    version_list, service = "orders", "order"
    # Orders are the team's; what the public may know of them is the stock they take: every write of an
    # order also moves the event's public "availability" counter, which the event page's socket hears.
    public_rows = None
    also_counted_in = (Counter("event", "event_id", "public.availability"),)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "code"], name="order_code_unique_per_event"),
            models.UniqueConstraint(
                fields=["event", "checkout_token"],
                condition=Q(checkout_token__isnull=False),
                name="order_checkout_token_unique_per_event",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "paid", "cancelled", "expired"]), name="order_status_known"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            # A pending order always has a deadline: availability counts it only until then.
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(expires_at__isnull=False), name="order_pending_has_deadline"
            ),
        ]
        indexes = [
            models.Index(fields=["event", "status"], name="order_event_status"),
            # The organizer's list, newest first, a page at a time.
            models.Index(fields=["event", "-created_at", "-id"], name="order_event_newest"),
            models.Index(fields=["event", "updated_at"], name="order_event_updated"),
        ]

    def __str__(self):
        return f"Order {self.code}"

    def is_overdue(self, now=None):
        """Whether a pending order's deadline has passed (it holds no stock any more, stored or not)."""
        return (
            self.status == self.PENDING and self.expires_at is not None and self.expires_at <= (now or timezone.now())
        )

    def effective_status(self, now=None):
        """Return the status as of now: an overdue pending order is expired even before it is stored so."""
        return self.EXPIRED if self.is_overdue(now) else self.status

    def get_absolute_url(self):
        """Return the buyer's page of the order (its secret is in the path)."""
        return reverse("public:order", args=[self.event.slug, self.code, self.secret])


class OrderPosition(models.Model):
    """One ticket of an order: its price as charged and who attends with it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="positions")
    # RESTRICT: a sold ticket cannot be deleted (nor its event, whose orders are protected).
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.RESTRICT, related_name="positions")
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    attendee_name = models.CharField(max_length=200)
    attendee_email = models.EmailField(blank=True)
    # What the QR code holds: check-in finds the position by it.
    secret = models.CharField(max_length=32, default=new_position_secret, unique=True, editable=False)

    class Meta:
        ordering = ["order_id", "id"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="position_price_not_negative")]

    def __str__(self):
        return f"{self.ticket_id} for {self.attendee_name}"
