"""Verbs on orders: place one, mark it paid, cancel it, expire overdue ones, delete, resend its email.

Every door (the public checkout, the organizer pages, the API, the shell)
goes through these, so the rules hold everywhere: the price comes from the
ticket (a donation from the buyer, at or above its minimum), sales windows,
limits per order, hidden tickets only through their link (all in rules.py),
and stock that never oversells. Placing an order locks the rows of its tickets in id order
(PostgreSQL: SELECT ... FOR UPDATE; SQLite: the transaction is IMMEDIATE),
then counts what the tickets have left: concurrent buyers of one ticket queue
there, and the count each sees includes every order committed before it.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.changes import record_change, record_changes
from notifications.models import Notification
from notifications.services import notify
from permissions.names import READ
from permissions.queries import users_with_grant

from ..models import Ticket
from . import emails
from .models import Order, OrderPosition, new_order_code
from .rules import OrderRejected, Problem, SoldOut, check_buyer, check_lines, check_tickets, clean_text
from .stock import taken_by_ticket

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    """One position a buyer asks for: the ticket's id, who attends, and for a donation ticket the amount."""

    ticket_id: object
    attendee_name: str = ""
    attendee_email: str = ""
    price: object = None


class OrderStateError(Exception):
    """The order's status does not allow this (e.g. paying a cancelled order)."""

    def __init__(self, message, code):
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True)
class Placed:
    order: Order
    created: bool  # False: the checkout token had placed it already (a second submit of the same form)


def _price(ticket, amount):
    if ticket.type == Ticket.PAID:
        return ticket.price
    if ticket.type == Ticket.DONATION:
        return amount
    return Decimal("0.00")


def _insert(order, checkout_token):
    """Save the new order under a fresh code; return (order, True), or (the order the token placed, False)."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                order.save()
            return order, True
        except IntegrityError:
            if checkout_token:
                existing = Order.objects.filter(event_id=order.event_id, checkout_token=checkout_token).first()
                if existing is not None:
                    return existing, False
            order.code = new_order_code()  # taken in this event meanwhile: draw again
    raise RuntimeError("Could not find a free order code in five draws.")


def place_order(
    *, event, name, email, lines, access=(), sells_hidden=False, checkout_token=None, placed_by=None, now=None
):
    """Place an order of the lines; writes Order and OrderPositions (bumping the orders counter) in one transaction.

    After commit the buyer gets an email and the team a notification. Free
    orders are paid at once; others are pending until the event's payment
    deadline. ``access`` holds the ticket secrets the buyer came with (hidden
    tickets need theirs; ``sells_hidden`` for the organizer's own doors);
    ``checkout_token`` makes a second submit of one form return the first
    order. Raises OrderRejected or SoldOut; nothing is saved then.
    """
    now = now or timezone.now()
    name, email = clean_text(name), clean_text(email)
    problems = check_buyer(name, email)
    line_problems, amounts = check_lines(lines)
    problems += line_problems
    if not event.is_published:
        problems.append(Problem("Tickets of this event are not on sale: it is not published.", "event_not_published"))
    if problems:
        raise OrderRejected(problems)
    ticket_ids = sorted({line.ticket_id for line in lines})
    with transaction.atomic():
        # The lock: buyers of the same tickets queue here, always in id order (no deadlock).
        tickets = {
            ticket.pk: ticket
            for ticket in Ticket.objects.select_for_update().filter(event=event, pk__in=ticket_ids).order_by("pk")
        }
        if checkout_token:
            existing = Order.objects.filter(event=event, checkout_token=checkout_token).first()
            if existing is not None:
                return Placed(existing, created=False)
        problems, counts = check_tickets(
            lines, tickets, amounts, event=event, access=set(access), sells_hidden=sells_hidden, now=now
        )
        if problems:
            raise OrderRejected(problems)
        # A statement of its own, after the lock: it sees every order committed before we got the rows.
        taken = taken_by_ticket(ticket_ids, event_id=event.pk, now=now)
        for ticket_id in ticket_ids:
            left = max(tickets[ticket_id].quantity - taken.get(ticket_id, 0), 0)
            if counts[ticket_id] > left:
                raise SoldOut(tickets[ticket_id], left)
        prices = [_price(tickets[line.ticket_id], amounts.get(index)) for index, line in enumerate(lines)]
        total = sum(prices, Decimal("0.00"))
        paid = total == 0
        order = Order(
            event=event,
            name=name,
            email=email,
            total=total,
            status=Order.PAID if paid else Order.PENDING,
            paid_at=now if paid else None,
            expires_at=None if paid else now + timedelta(days=event.payment_days),
            checkout_token=checkout_token or None,
            placed_by=placed_by if placed_by is not None and placed_by.is_authenticated else None,
            created_at=now,
        )
        order, created = _insert(order, checkout_token)
        if not created:
            return Placed(order, created=False)
        positions = OrderPosition.objects.bulk_create(
            [
                OrderPosition(
                    order=order,
                    ticket_id=line.ticket_id,
                    price=price,
                    attendee_name=clean_text(line.attendee_name),
                    attendee_email=clean_text(line.attendee_email),
                )
                for line, price in zip(lines, prices, strict=True)
            ]
        )
        order.event = event
        record_change(kind="order.placed", obj=order)
        # Written now from what is at hand (no reading back), sent once the order is committed.
        email = emails.compose(
            order, [(tickets[p.ticket_id].name, p.attendee_name, p.price) for p in positions], emails.PLACED
        )
        emails.send(order, *email)
        transaction.on_commit(lambda: _tell_team(order, positions=len(lines)))
    return Placed(order, created=True)


def _tell_team(order, *, positions):
    """Notify the team members who may read orders (not whoever placed it) of a new order."""
    event = order.event
    team = users_with_grant(event, "order", READ)
    if order.placed_by_id:
        team = team.exclude(pk=order.placed_by_id)
    url = reverse("orders:detail", args=[event.pk, order.pk])
    tickets = "1 ticket" if positions == 1 else f"{positions} tickets"
    notify(
        list(team.values_list("pk", flat=True)),
        action=Notification.GENERAL,
        title=f"New order {order.code} for {event.name}: {tickets}",
        message=format_html(
            '<p><a href="{}">Order {}</a> by {}: {}, total {}.</p>', url, order.code, order.name, tickets, order.total
        ),
        url=url,
    )


def _lock(order):
    # The order's row only: the event read with it stays free for its other orders and its editors.
    return Order.objects.select_for_update(of=("self",)).select_related("event").get(pk=order.pk)


def mark_paid(*, order, now=None):
    """Mark the order paid; writes Order (bumping the orders counter) and emails the buyer after commit.

    A paid order stays as it is. An expired one (paid late) is revived only
    if its tickets have enough left (else SoldOut). A cancelled order cannot
    be paid (OrderStateError). Returns the order as stored.
    """
    with transaction.atomic():
        current = _lock(order)
        # The time is read once the row is ours: a deadline that passed while we waited for it counts.
        now = now or timezone.now()
        if current.status == Order.PAID:
            return current
        if current.status == Order.CANCELLED:
            raise OrderStateError("A cancelled order cannot be marked paid.", "order_cancelled")
        if current.effective_status(now) == Order.EXPIRED:
            _reclaim_stock(current, now=now)
        current.status, current.paid_at = Order.PAID, now
        current.save(update_fields=["status", "paid_at", "updated_at", "version"])
        record_change(kind="order.paid", obj=current)
        emails.send_order_email(current.pk, reason=emails.PAID)
    return current


def _reclaim_stock(order, *, now):
    """Raise SoldOut unless the order's tickets still have room for its positions (an expired order holds none)."""
    wanted = {}
    for ticket_id in order.positions.values_list("ticket_id", flat=True):
        wanted[ticket_id] = wanted.get(ticket_id, 0) + 1
    tickets = list(Ticket.objects.select_for_update().filter(pk__in=wanted).order_by("pk"))
    taken = taken_by_ticket(list(wanted), event_id=order.event_id, now=now)
    for ticket in tickets:
        left = max(ticket.quantity - taken.get(ticket.pk, 0), 0)
        if wanted[ticket.pk] > left:
            raise SoldOut(ticket, left)


def cancel_order(*, order, now=None):
    """Cancel the order (its tickets go back on sale if it held them); writes Order, emails the buyer after commit.

    Returns whether it changed: cancelling a cancelled order changes nothing,
    so its tickets are released exactly once.
    """
    now = now or timezone.now()
    with transaction.atomic():
        changed = (
            Order.objects.filter(pk=order.pk)
            .exclude(status=Order.CANCELLED)
            .update(status=Order.CANCELLED, cancelled_at=now, updated_at=now)
        )
        if changed:
            record_change(kind="order.cancelled", obj=order)
            emails.send_order_email(order.pk, reason=emails.CANCELLED)
    return bool(changed)


def expire_overdue(*, event=None, now=None):
    """Store "expired" on pending orders past their deadline, of one event or all (bumps their orders counters).

    Stock does not wait for this (overdue orders hold none); it keeps the
    stored status true for lists, filters and the API. Returns how many.
    """
    now = now or timezone.now()
    overdue = Order.objects.filter(status=Order.PENDING, expires_at__lte=now)
    if event is not None:
        overdue = overdue.filter(event=event)
    with transaction.atomic(savepoint=False):
        count = overdue.update(status=Order.EXPIRED, updated_at=now)
        if count:
            # Found again by the time stamp just written: reads with nothing to expire cost no query more.
            expired = Order.objects.filter(status=Order.EXPIRED, updated_at=now)
            if event is not None:
                expired = expired.filter(event=event)
            rows = [(pk, event_id, None) for pk, event_id in expired.values_list("pk", "event_id")]
            record_changes("order.expired", Order, rows)
    return count


def expire_if_overdue(*, order, now=None):
    """Store "expired" on this one order if it is pending past its deadline; update the instance too."""
    now = now or timezone.now()
    if order.is_overdue(now):
        with transaction.atomic(savepoint=False):
            changed = Order.objects.filter(pk=order.pk, status=Order.PENDING, expires_at__lte=now).update(
                status=Order.EXPIRED, updated_at=now
            )
            if changed:
                record_change(kind="order.expired", obj=order)
        order.status = Order.EXPIRED
        order.version += changed
    return order


def delete_order(*, order):
    """Delete a cancelled or expired order with its positions; writes Order (bumping the orders counter).

    An order that holds tickets (paid, or pending before its deadline) must be cancelled first (OrderStateError).
    """
    with transaction.atomic():
        current = _lock(order)
        if current.effective_status() not in Order.CLOSED:
            raise OrderStateError("Cancel the order before deleting it.", "order_active")
        current.delete()


def resend_email(*, order):
    """Queue the buyer the order's email again, sent after commit."""
    emails.send_order_email(order.pk, reason=emails.RESENT)
