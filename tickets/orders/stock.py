"""Stock: what a ticket has left, computed from the orders holding it, never stored.

A position holds its ticket while its order is paid, or pending with a
payment deadline still ahead. So an unpaid order releases its tickets the
moment its deadline passes, whether or not anything has marked it expired
yet, and a cancelled order releases them once, by leaving the count.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format

from ..models import Ticket
from .models import Order, OrderPosition

ON_SALE, NOT_YET, ENDED, SOLD_OUT = "on_sale", "not_yet", "ended", "sold_out"


def holding(now, prefix=""):
    """Return a Q over positions (or, with prefix "positions__", over tickets) that hold stock at ``now``."""
    status, deadline = f"{prefix}order__status", f"{prefix}order__expires_at__gt"
    return Q(**{status: Order.PAID}) | Q(**{status: Order.PENDING, deadline: now})


def taken_by_ticket(ticket_ids, *, event_id, now):
    """Return {ticket id: positions holding it at ``now``} for the tickets of the event; one query.

    Naming the event lets PostgreSQL read the orders through their (event, status) index: without it
    it scanned every order of the site, with the tickets' rows locked (benchmarks/README.md).
    """
    rows = (
        OrderPosition.objects.filter(ticket_id__in=ticket_ids, order__event_id=event_id)
        .filter(holding(now))
        .order_by()
        .values("ticket_id")
        .annotate(taken=Count("id"))
    )
    return {row["ticket_id"]: row["taken"] for row in rows}


def quantity_shortfalls(quantities, *, event_id, now=None):
    """Return {ticket id: positions holding it} for each ticket whose proposed quantity is below that; one query.

    ``quantities`` maps saved tickets' ids to the quantities about to be stored. With the tickets' rows
    locked first (as placing an order locks them) no order can come between the count and the write.
    """
    if not quantities:
        return {}
    taken = taken_by_ticket(list(quantities), event_id=event_id, now=now or timezone.now())
    return {pk: taken[pk] for pk, quantity in quantities.items() if quantity < taken.get(pk, 0)}


def shortfall_message(taken, name=None):
    """Say why a quantity below ``taken`` is refused (naming the ticket where the message stands apart from it)."""
    held = f"{taken} of {name}" if name else f"{taken} of this ticket"
    verb = "is" if taken == 1 else "are"
    return f"{held} {verb} sold or held by unpaid orders, so the quantity cannot be less than {taken}."


def check_quantity(ticket, quantity):
    """Refuse (ValidationError) lowering a saved ticket's quantity below what orders hold of it (None: a new one).

    Locks the ticket's row first, as placing an order does: call it inside the transaction that stores the
    quantity (a DRF update, an admin change form), and no order comes between the count and the write.
    """
    if ticket is None or ticket.pk is None or quantity is None or quantity >= ticket.quantity:
        return
    list(Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk"))
    short = quantity_shortfalls({ticket.pk: quantity}, event_id=ticket.event_id)
    if short:
        raise ValidationError(shortfall_message(short[ticket.pk]), code="below_taken")


def count_of_positions(condition):
    """The number of positions meeting ``condition`` (which names the outer row by OuterRef), as a subquery.

    Each outer row counts its own through an index: no GROUP BY over the outer query's join.
    """
    count = OrderPosition.objects.filter(condition).order_by().values(group=Value(1)).annotate(n=Count("id"))
    return Coalesce(Subquery(count.values("n"), output_field=IntegerField()), 0)


def with_taken(tickets, *, now):
    """Annotate a ticket queryset with ``taken``: the positions holding each at ``now``."""
    return tickets.annotate(taken=count_of_positions(Q(ticket_id=OuterRef("pk")) & holding(now)))


def sales_phase(ticket, *, event, now):
    """Return NOT_YET, ENDED or ON_SALE from the ticket's sales window (no end: until the event ends)."""
    if ticket.sales_starts_at and now < ticket.sales_starts_at:
        return NOT_YET
    if now >= (ticket.sales_ends_at or event.ends_at):
        return ENDED
    return ON_SALE


def few_left_threshold(quantity):
    """At or below this many left, buyers are told how many: 5, or a tenth of a large quantity."""
    return max(5, quantity // 10)


@dataclass
class Offer:
    """One ticket as the public page offers it: its state, what is left and what a buyer may choose."""

    ticket: Ticket
    state: str
    left: int
    starts_at: datetime | None = None

    @property
    def on_sale(self):
        return self.state == ON_SALE

    @property
    def max_quantity(self):
        """The most a buyer may choose now: the maximum per order, or what is left."""
        return min(self.ticket.max_order, self.left) if self.on_sale else 0

    @property
    def quantity_choices(self):
        return [0, *range(self.ticket.min_order, self.max_quantity + 1)]

    @property
    def few_left(self):
        """How many are left when few are (a hint to buyers), else None; a small ticket nobody bought has no hint."""
        if self.on_sale and self.left < self.ticket.quantity and self.left <= few_left_threshold(self.ticket.quantity):
            return self.left
        return None

    @property
    def state_label(self):
        if self.state == NOT_YET:
            return f"On sale from {date_format(timezone.localtime(self.starts_at), 'j M Y, H:i')}"
        return {ON_SALE: "On sale", ENDED: "Sales ended", SOLD_OUT: "Sold out"}[self.state]

    def as_json(self):
        return {
            "id": self.ticket.pk,
            "state": self.state,
            "label": self.state_label,
            "few_left": self.few_left,
            "max_quantity": self.max_quantity,
            "min_quantity": self.ticket.min_order,
        }


def offer_for(ticket, *, event, now, taken):
    """Return the Offer of one ticket with ``taken`` positions holding it."""
    phase = sales_phase(ticket, event=event, now=now)
    left = max(ticket.quantity - taken, 0)
    state = SOLD_OUT if phase == ON_SALE and left < ticket.min_order else phase
    return Offer(ticket=ticket, state=state, left=left, starts_at=ticket.sales_starts_at)


def offers(event, *, now=None, access=None):
    """Return the Offers of the event's public page: every ticket not hidden, plus the hidden one ``access`` opens.

    One query (tickets with their taken counts).
    """
    now = now or timezone.now()
    visible = Q(hidden=False) | Q(secret=access) if access else Q(hidden=False)
    tickets = with_taken(Ticket.objects.filter(event=event).filter(visible), now=now)
    return [offer_for(ticket, event=event, now=now, taken=ticket.taken) for ticket in tickets]


def _per_ticket(aggregate, condition):
    """Return a subquery of ``aggregate`` over the positions of the outer ticket that meet ``condition``."""
    return Subquery(
        OrderPosition.objects.filter(condition, ticket_id=OuterRef("pk"))
        .order_by()
        .values("ticket_id")
        .annotate(value=aggregate)
        .values("value")
    )


def sales_summary(event, *, now=None):
    """Return (tickets with ``sold``, ``pending``, ``left`` and ``revenue``, revenue of paid orders); one query.

    Sold: positions of paid orders; pending: of unpaid orders before their deadline.
    """
    now = now or timezone.now()
    paid = Q(order__status=Order.PAID)
    waiting = Q(order__status=Order.PENDING, order__expires_at__gt=now)
    tickets = list(
        Ticket.objects.filter(event=event).annotate(
            sold=Coalesce(_per_ticket(Count("id"), paid), 0),
            pending=Coalesce(_per_ticket(Count("id"), waiting), 0),
            revenue=Coalesce(_per_ticket(Sum("price"), paid), Value(Decimal("0.00")), output_field=DecimalField()),
        )
    )
    for ticket in tickets:
        ticket.left = max(ticket.quantity - ticket.sold - ticket.pending, 0)
    return tickets, sum((ticket.revenue for ticket in tickets), Decimal("0.00"))
