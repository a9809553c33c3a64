"""The buyer's emails: order placed, payment received, cancelled, or sent again. Plain text, absolute links."""

from django.utils import timezone
from django.utils.formats import date_format

from core.links import absolute_url
from core.mail import send_after_commit
from core.money import money
from permissions.mixins import event_zone

from .models import Order

PLACED, PAID, CANCELLED, RESENT = "placed", "paid", "cancelled", "resent"
SUBJECTS = {
    PLACED: "Your order {code} for {event}",
    PAID: "Payment received: order {code} for {event}",
    CANCELLED: "Order {code} for {event} was cancelled",
    RESENT: "Your order {code} for {event}",
}


def local(moment, event_zone):
    return date_format(timezone.localtime(moment, event_zone), "j F Y, H:i")


def compose(order, lines, reason):
    """Return (subject, body) of the email about the order (its event set); ``lines``: (ticket, attendee, price)."""
    event = order.event
    zone = event_zone(event.timezone)
    link = absolute_url(order.get_absolute_url())
    text = [f"Hello {order.name},", ""]
    status = order.effective_status()
    if status == Order.PAID:
        text.append(
            f"your tickets for {event.name} are confirmed. Show the QR codes on your order page at the entrance."
        )
    elif status == Order.PENDING:
        text.append(
            f"thank you for your order for {event.name}. It is reserved until {local(order.expires_at, zone)} "
            f"({event.timezone}); please pay {money(order.total, event.currency)} by then, with {order.code} as the "
            "payment reference."
        )
        if event.payment_instructions:
            text += ["", "How to pay:", event.payment_instructions.strip()]
    elif status == Order.CANCELLED:
        text.append(f"your order for {event.name} was cancelled; its tickets are no longer valid.")
    else:
        text.append(f"your order for {event.name} expired unpaid; its tickets went back on sale.")
    text += ["", f"Order {order.code}, total {money(order.total, event.currency)}:"]
    text += [f"- {ticket}: {attendee} ({money(price, event.currency)})" for ticket, attendee, price in lines]
    text += ["", f"Your order page (keep this link private): {link}", "", event.name]
    subject = SUBJECTS[reason].format(code=order.code, event=event.name)
    return subject, "\n".join(text) + "\n"


def send(order, subject, body):
    """Queue one email to the buyer, sent by a worker after commit (core.mail: retried, failures logged)."""
    send_after_commit(to=order.email, subject=subject, body=body)


def send_order_email(order_id, *, reason):
    """Read the order as it stands and queue the buyer's email about it (for a change made after it was placed)."""
    order = Order.objects.select_related("event").prefetch_related("positions__ticket").filter(pk=order_id).first()
    if order is None:
        return
    lines = [(position.ticket.name, position.attendee_name, position.price) for position in order.positions.all()]
    send(order, *compose(order, lines, reason))
