"""Placing orders: prices from the server, every rule at once, stock that never oversells; paying and cancelling."""

import io
import itertools
import secrets
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.tests.factories import UserFactory
from core.versioning import event_versions
from events.models import Event
from events.tests.factories import EventFactory
from notifications.models import Notification
from permissions.tests.factories import EventRoleFactory
from tickets.models import Order, OrderPosition, Ticket
from tickets.orders import services as services_module
from tickets.orders.services import (
    Line,
    OrderRejected,
    OrderStateError,
    SoldOut,
    cancel_order,
    delete_order,
    expire_overdue,
    mark_paid,
    place_order,
)
from tickets.orders.stock import taken_by_ticket

from .factories import TicketFactory

pytestmark = pytest.mark.django_db

# A moment before the events of the factories (a month ahead) end.
NOW = timezone.now().replace(microsecond=0) + timedelta(days=1)


@pytest.fixture
def event():
    return EventFactory(state=Event.PUBLISHED)


def buy(event, *lines, **kwargs):
    """Place an order of (ticket, price) or ticket lines for Ann; return the order."""
    made = [
        Line(ticket_id=line[0].pk, attendee_name="Ann", price=line[1])
        if isinstance(line, tuple)
        else Line(ticket_id=line.pk, attendee_name="Ann")
        for line in lines
    ]
    kwargs.setdefault("name", "Ann Buyer")
    kwargs.setdefault("email", "ann@example.com")
    return place_order(event=event, lines=made, **kwargs).order


def left(ticket, now=None):
    ticket.refresh_from_db()
    return ticket.quantity - taken_by_ticket([ticket.pk], event_id=ticket.event_id, now=now or timezone.now()).get(
        ticket.pk, 0
    )


def codes(error):
    return sorted(problem.code for problem in error.value.problems)


def test_free_order_is_paid_at_once(event):
    ticket = TicketFactory(event=event)
    order = buy(event, ticket, ticket)
    assert (order.status, order.total, order.expires_at, order.paid_at is not None) == (
        "paid",
        Decimal("0.00"),
        None,
        True,
    )
    assert list(order.positions.values_list("ticket_id", "price", "attendee_name")) == [
        (ticket.pk, Decimal("0.00"), "Ann"),
        (ticket.pk, Decimal("0.00"), "Ann"),
    ]
    assert len(order.code) == 6
    assert order.secret != order.positions.first().secret


def test_paid_order_is_pending_until_the_events_deadline(event):
    event.payment_days = 5
    event.save()
    ticket = TicketFactory(event=event, paid=True)
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        order = buy(event, ticket, ticket)
    assert (order.status, order.total, order.paid_at) == ("pending", Decimal("50.00"), None)
    assert order.expires_at == NOW - timedelta(days=25)


def test_donation_takes_the_buyers_amount_and_the_price_of_others_comes_from_the_ticket(event):
    paid = TicketFactory(event=event, paid=True)
    donation = TicketFactory(event=event, donation=True)
    order = buy(event, paid, (donation, "12.5"))
    assert order.total == Decimal("37.50")
    assert sorted(order.positions.values_list("price", flat=True)) == [Decimal("12.50"), Decimal("25.00")]


def test_a_donation_of_zero_where_allowed_is_a_free_order_paid_at_once(event):
    donation = TicketFactory(event=event, type="donation", min_price=None)
    assert buy(event, (donation, "0")).status == "paid"


@pytest.mark.parametrize("amount", ["-0", "-0.00", "0"])
def test_a_donation_of_minus_zero_reads_zero_in_the_buyers_email(
    event, amount, mailoutbox, django_capture_on_commit_callbacks
):
    """Finding (an attacker's probe): "-0" was taken, stored as 0.00 and emailed as "(-0.00)"."""
    donation = TicketFactory(event=event, type="donation", min_price=None, name="Gift")
    with django_capture_on_commit_callbacks(execute=True):
        order = buy(event, (donation, amount))
    assert [str(price) for price in order.positions.values_list("price", flat=True)] == ["0.00"]
    assert "Gift: Ann (0.00 EUR)" in mailoutbox[0].body
    assert "-0.00" not in mailoutbox[0].body


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda e, other: [], ["no_positions"]),
        (lambda e, other: [Line(ticket_id=TicketFactory(event=other).pk, attendee_name="A")], ["unknown_ticket"]),
        (lambda e, other: [Line(ticket_id="1", attendee_name="A")], ["unknown_ticket"]),
        (lambda e, other: [Line(ticket_id=2**64, attendee_name="A")], ["unknown_ticket"]),
        (
            lambda e, other: [Line(ticket_id=TicketFactory(event=e, hidden=True).pk, attendee_name="A")],
            ["unknown_ticket"],
        ),
        (lambda e, other: [Line(ticket_id=TicketFactory(event=e).pk, attendee_name=" ")], ["required"]),
        (
            lambda e, other: [Line(ticket_id=TicketFactory(event=e).pk, attendee_name="A", attendee_email="x")],
            ["invalid_email"],
        ),
        (lambda e, other: [Line(ticket_id=TicketFactory(event=e, min_order=2).pk, attendee_name="A")], ["below_min"]),
        (
            lambda e, other: [Line(ticket_id=TicketFactory(event=e, max_order=1).pk, attendee_name="A")] * 2,
            ["above_max"],
        ),
        (
            lambda e, other: [
                Line(
                    ticket_id=TicketFactory(event=e, sales_starts_at=timezone.now() + timedelta(days=1)).pk,
                    attendee_name="A",
                )
            ],
            ["sales_not_started"],
        ),
        (
            lambda e, other: [
                Line(
                    ticket_id=TicketFactory(
                        event=e,
                        sales_starts_at=timezone.now() - timedelta(days=2),
                        sales_ends_at=timezone.now() - timedelta(days=1),
                    ).pk,
                    attendee_name="A",
                )
            ],
            ["sales_ended"],
        ),
        (
            lambda e, other: [
                Line(ticket_id=TicketFactory(event=e, donation=True).pk, attendee_name="A", price="4.99")
            ],
            ["price_below_minimum"],
        ),
        (
            lambda e, other: [Line(ticket_id=TicketFactory(event=e, donation=True).pk, attendee_name="A", price="ten")],
            ["invalid_price"],
        ),
        (
            lambda e, other: [Line(ticket_id=TicketFactory(event=e, donation=True).pk, attendee_name="A", price="NaN")],
            ["invalid_price"],
        ),
        (
            lambda e, other: [
                Line(ticket_id=TicketFactory(event=e, donation=True).pk, attendee_name="A", price="5.001")
            ],
            ["invalid_price"],
        ),
        (
            lambda e, other: [Line(ticket_id=TicketFactory(event=e, donation=True).pk, attendee_name="A", price=True)],
            ["invalid_price"],
        ),
        (
            lambda e, other: [Line(ticket_id=TicketFactory(event=e, donation=True).pk, attendee_name="A")],
            ["price_required"],
        ),
        (
            lambda e, other: [Line(ticket_id=TicketFactory(event=e, paid=True).pk, attendee_name="A", price="1")],
            ["price_not_allowed"],
        ),
        (
            lambda e, other: [Line(ticket_id=TicketFactory(event=e).pk, attendee_name="A", price="0")],
            ["price_not_allowed"],
        ),
    ],
    ids=[
        "zero-positions",
        "foreign-ticket",
        "id-not-a-number",
        "id-out-of-range",
        "hidden-without-link",
        "no-attendee-name",
        "bad-attendee-email",
        "below-min-per-order",
        "above-max-per-order",
        "sales-not-started",
        "sales-ended",
        "donation-below-minimum",
        "donation-not-a-number",
        "donation-nan",
        "donation-fractions-of-cents",
        "donation-boolean",
        "donation-missing",
        "price-sent-for-paid-ticket",
        "price-sent-for-free-ticket",
    ],
)
def test_bad_orders_are_refused_with_a_reason_and_nothing_is_saved(event, make, expected):
    lines = make(event, EventFactory(state=Event.PUBLISHED))
    counters = event_orders_counter(event)
    with pytest.raises(OrderRejected) as error:
        place_order(event=event, name="Ann", email="ann@example.com", lines=lines)
    assert codes(error) == expected
    assert (Order.objects.count(), OrderPosition.objects.count()) == (0, 0)
    assert event_orders_counter(event) == counters


def event_orders_counter(event):
    return event_versions(event.pk)["orders"]


def test_buyer_problems_and_draft_event_come_all_at_once():
    draft = EventFactory()
    ticket = TicketFactory(event=draft)
    with pytest.raises(OrderRejected) as error:
        place_order(event=draft, name="", email="not-an-email", lines=[Line(ticket_id=ticket.pk, attendee_name="A")])
    assert [(problem.field, problem.code, problem.message) for problem in error.value.problems] == [
        ("name", "required", "Enter your name."),
        ("email", "invalid_email", "Enter a valid email address."),
        (None, "event_not_published", "Tickets of this event are not on sale: it is not published."),
    ]
    assert Order.objects.count() == 0


def test_hidden_ticket_sells_through_its_secret_only(event):
    hidden = TicketFactory(event=event, hidden=True)
    with pytest.raises(OrderRejected):
        buy(event, hidden, access=["not-the-secret"])
    assert buy(event, hidden, access=[hidden.secret]).positions.count() == 1
    assert buy(event, hidden, sells_hidden=True).positions.count() == 1


def test_stock_is_never_oversold_and_the_refusal_names_the_ticket(event):
    ticket = TicketFactory(event=event, quantity=3, max_order=3)
    buy(event, ticket, ticket)
    with pytest.raises(SoldOut) as error:
        buy(event, ticket, ticket)
    assert (error.value.ticket.pk, error.value.left, error.value.message) == (
        ticket.pk,
        1,
        f"Only 1 of {ticket.name} left; choose fewer.",
    )
    assert OrderPosition.objects.count() == 2
    buy(event, ticket)
    with pytest.raises(SoldOut) as error:
        buy(event, ticket)
    assert error.value.message == f"{ticket.name} is sold out."
    assert left(ticket) == 0


def test_rule_problems_come_before_stock(event):
    sold_out = TicketFactory(event=event, quantity=0, max_order=1, min_order=1)
    with pytest.raises(OrderRejected) as error:
        place_order(event=event, name="", email="a@example.com", lines=[Line(ticket_id=sold_out.pk, attendee_name="A")])
    assert codes(error) == ["required"]


def test_queries_per_order_do_not_grow_with_its_positions(event, django_assert_num_queries):
    ticket = TicketFactory(event=event, paid=True, max_order=10)
    donation = TicketFactory(event=event, donation=True, max_order=10)
    buy(event, ticket)  # the first order of the event may create its counter row
    # savepoint, lock the tickets, count what they have left, savepoint, insert the order,
    # bump the orders counter, release, insert the positions, ask whether a webhook wants "order.placed", release
    with django_assert_num_queries(10):
        buy(event, ticket)
    with django_assert_num_queries(10):
        buy(event, *[ticket] * 5, *[(donation, "6")] * 5)


def test_a_second_submit_of_one_checkout_form_returns_the_first_order(event, django_capture_on_commit_callbacks):
    ticket = TicketFactory(event=event, quantity=1, max_order=1)
    lines = [Line(ticket.pk, "Ann")]
    first = place_order(event=event, name="Ann", email="a@example.com", lines=lines, checkout_token="t" * 32)
    # Sold out now, yet the same form finds its order instead of a refusal, and sends nothing again.
    with django_capture_on_commit_callbacks() as callbacks:
        again = place_order(event=event, name="Ann", email="a@example.com", lines=lines, checkout_token="t" * 32)
    assert (first.created, again.created, again.order.pk) == (True, False, first.order.pk)
    assert callbacks == []
    assert Order.objects.count() == 1


def test_an_unpaid_order_releases_its_stock_when_the_deadline_passes(event):
    ticket = TicketFactory(event=event, paid=True, quantity=2, max_order=2)
    with time_machine.travel(NOW, tick=False):
        order = buy(event, ticket, ticket)
        with pytest.raises(SoldOut):
            buy(event, ticket)
    deadline = NOW + timedelta(days=3)
    assert order.expires_at == deadline
    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        assert left(ticket) == 0
        assert order.effective_status() == "pending"
    with time_machine.travel(deadline, tick=False):
        # Nothing has stored "expired" yet: the stock is back all the same.
        assert Order.objects.get(pk=order.pk).status == "pending"
        assert left(ticket) == 2
        assert order.effective_status() == "expired"
        late = buy(event, ticket, ticket)
        assert late.status == "pending"
        assert expire_overdue(event=event) == 1
    assert Order.objects.get(pk=order.pk).status == "expired"


def test_cancelling_releases_the_stock_exactly_once(event):
    ticket = TicketFactory(event=event, quantity=3, max_order=3)
    order = buy(event, ticket, ticket)
    assert left(ticket) == 1
    assert cancel_order(order=order) is True
    assert left(ticket) == 3
    assert cancel_order(order=order) is False
    assert left(ticket) == 3
    assert Order.objects.get(pk=order.pk).status == "cancelled"


def test_cancelling_an_expired_order_changes_no_stock(event):
    ticket = TicketFactory(event=event, paid=True, quantity=2, max_order=2)
    with time_machine.travel(NOW, tick=False):
        order = buy(event, ticket, ticket)
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        buy(event, ticket)
        assert cancel_order(order=order) is True
        assert left(ticket) == 1


def test_marking_paid_keeps_the_stock_and_is_idempotent(event):
    ticket = TicketFactory(event=event, paid=True, quantity=2, max_order=2)
    order = buy(event, ticket)
    paid = mark_paid(order=order)
    assert (paid.status, paid.paid_at is not None, paid.version) == ("paid", True, order.version + 1)
    assert mark_paid(order=order).version == paid.version
    assert left(ticket) == 1


def test_a_late_payment_revives_an_expired_order_only_if_stock_allows(event):
    ticket = TicketFactory(event=event, paid=True, quantity=2, max_order=2)
    with time_machine.travel(NOW, tick=False):
        revivable, crowded_out = buy(event, ticket), buy(event, ticket)
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        expire_overdue(event=event)
        buy(event, ticket)
        assert mark_paid(order=revivable).status == "paid"
        with pytest.raises(SoldOut):
            mark_paid(order=crowded_out)
        assert Order.objects.get(pk=crowded_out.pk).status == "expired"
        assert left(ticket) == 0


def test_a_cancelled_order_cannot_be_paid(event):
    order = buy(event, TicketFactory(event=event, paid=True))
    cancel_order(order=order)
    with pytest.raises(OrderStateError) as error:
        mark_paid(order=order)
    assert error.value.message == "A cancelled order cannot be marked paid."


def test_only_closed_orders_are_deleted(event):
    ticket = TicketFactory(event=event)
    order = buy(event, ticket)
    with pytest.raises(OrderStateError):
        delete_order(order=order)
    cancel_order(order=order)
    delete_order(order=order)
    assert (Order.objects.count(), OrderPosition.objects.count()) == (0, 0)


def test_the_buyer_gets_an_email_with_absolute_links_after_commit(
    event, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://tickets.example.org"
    event.payment_instructions = "IBAN DE00 1234"
    event.save()
    ticket = TicketFactory(event=event, paid=True, name="Regular")
    with django_capture_on_commit_callbacks(execute=True):
        order = buy(event, ticket)
        assert mailoutbox == []
    [mail] = mailoutbox
    assert mail.to == ["ann@example.com"]
    assert mail.subject == f"Your order {order.code} for {event.name}"
    assert f"https://tickets.example.org/e/{event.slug}/orders/{order.code}/{order.secret}/" in mail.body
    assert "IBAN DE00 1234" in mail.body
    assert f"with {order.code} as the payment reference" in mail.body


def test_the_team_members_who_read_orders_are_notified(event, django_capture_on_commit_callbacks):
    coorganizer, moderator = UserFactory(), UserFactory()
    EventRoleFactory(user=coorganizer, event=event, role="coorganizer")
    EventRoleFactory(user=moderator, event=event, role="moderator")
    ticket = TicketFactory(event=event)
    with django_capture_on_commit_callbacks(execute=True):
        order = buy(event, ticket)
    notified = sorted(Notification.objects.values_list("user_id", "title"))
    title = f"New order {order.code} for {event.name}: 1 ticket"
    assert notified == sorted([(event.created_by_id, title), (coorganizer.pk, title)])


def test_an_order_placed_by_an_organizer_does_not_notify_them(event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        buy(event, TicketFactory(event=event), placed_by=event.created_by)
    assert Notification.objects.count() == 0


def test_expire_orders_command_stores_expired_on_overdue_orders(event):
    ticket = TicketFactory(event=event, paid=True)
    with time_machine.travel(timezone.now() - timedelta(days=10), tick=False):
        overdue = buy(event, ticket)
    fresh = buy(event, ticket)
    out = io.StringIO()
    call_command("expire_orders", stdout=out)
    assert out.getvalue() == "Expired 1 order(s).\n"
    assert dict(Order.objects.values_list("pk", "status")) == {overdue.pk: "expired", fresh.pk: "pending"}


def test_an_event_is_deleted_with_its_tickets_only_once_its_orders_are_gone(event, api_for):
    ticket = TicketFactory(event=event)
    order = buy(event, ticket, ticket)
    api = api_for(event.created_by)
    assert api.delete(f"/api/v1/events/{event.pk}/").status_code == 409  # events/tests/test_delete_event.py
    assert (Order.objects.count(), OrderPosition.objects.count(), Ticket.objects.count()) == (1, 2, 1)

    cancel_order(order=order)
    delete_order(order=Order.objects.get(pk=order.pk))
    assert api.delete(f"/api/v1/events/{event.pk}/").status_code == 204
    assert (Order.objects.count(), OrderPosition.objects.count(), Ticket.objects.count()) == (0, 0, 0)


def test_state_refusals_carry_their_code(event):
    order = buy(event, TicketFactory(event=event, paid=True))
    with pytest.raises(OrderStateError) as active:
        delete_order(order=order)
    cancel_order(order=order)
    with pytest.raises(OrderStateError) as cancelled:
        mark_paid(order=order)
    assert [(str(error.value), error.value.message, error.value.code) for error in (active, cancelled)] == [
        ("Cancel the order before deleting it.", "Cancel the order before deleting it.", "order_active"),
        ("A cancelled order cannot be marked paid.", "A cancelled order cannot be marked paid.", "order_cancelled"),
    ]
    assert Order.objects.get(pk=order.pk).status == "cancelled"


def test_a_late_payment_that_the_stock_no_longer_covers_names_what_is_left(event):
    ticket = TicketFactory(event=event, paid=True, quantity=3, max_order=3)
    with time_machine.travel(NOW, tick=False):
        late = buy(event, ticket, ticket)
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        buy(event, ticket, ticket)
        with pytest.raises(SoldOut) as error:
            mark_paid(order=late)
    assert (error.value.ticket.pk, error.value.left, error.value.message) == (
        ticket.pk,
        1,
        f"Only 1 of {ticket.name} left; choose fewer.",
    )
    stored = Order.objects.get(pk=late.pk)
    assert (stored.status, stored.paid_at, stored.version) == ("pending", None, late.version)


def webhook_for_orders(event):
    from events.webhooks.services import create_webhook

    kinds = ["order.placed", "order.paid", "order.cancelled", "order.expired"]
    create_webhook(event=event, by=event.created_by, url="https://hooks.example.org/orders", kinds=kinds)


def changes():
    from core.models import Change

    return list(Change.objects.values_list("kind", "model", "object_id", "event_id"))


def test_each_verb_records_its_change_for_the_webhooks(event):
    webhook_for_orders(event)
    ticket = TicketFactory(event=event, paid=True)
    with time_machine.travel(NOW, tick=False):
        paid, cancelled, expired = buy(event, ticket), buy(event, ticket), buy(event, ticket)
        mark_paid(order=paid)
        mark_paid(order=paid)  # paid already: nothing happens
        cancel_order(order=cancelled)
        cancel_order(order=cancelled)
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        assert expire_overdue() == 1
    label = "tickets.order"
    assert changes() == [
        ("order.placed", label, paid.pk, event.pk),
        ("order.placed", label, cancelled.pk, event.pk),
        ("order.placed", label, expired.pk, event.pk),
        ("order.paid", label, paid.pk, event.pk),
        ("order.cancelled", label, cancelled.pk, event.pk),
        ("order.expired", label, expired.pk, event.pk),
    ]


def test_marking_paid_stores_the_moment_and_emails_the_buyer_once(
    event, mailoutbox, django_capture_on_commit_callbacks
):
    order = buy(event, TicketFactory(event=event, paid=True, name="Regular"))
    with django_capture_on_commit_callbacks(execute=True):
        paid = mark_paid(order=order, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        mark_paid(order=order, now=NOW + timedelta(hours=1))
    stored = Order.objects.get(pk=order.pk)
    assert (paid.status, paid.paid_at, stored.status, stored.paid_at) == ("paid", NOW, "paid", NOW)
    assert [(mail.to, mail.subject) for mail in mailoutbox] == [
        (["ann@example.com"], f"Payment received: order {order.code} for {event.name}")
    ]
    assert "your tickets for" in mailoutbox[0].body


def test_cancelling_stores_the_moment_and_emails_the_buyer_once(event, mailoutbox, django_capture_on_commit_callbacks):
    order = buy(event, TicketFactory(event=event, paid=True))
    with django_capture_on_commit_callbacks(execute=True):
        assert cancel_order(order=order, now=NOW) is True
    with django_capture_on_commit_callbacks(execute=True):
        assert cancel_order(order=order, now=NOW + timedelta(hours=1)) is False
    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.cancelled_at, stored.updated_at) == ("cancelled", NOW, NOW)
    assert [(mail.to, mail.subject) for mail in mailoutbox] == [
        (["ann@example.com"], f"Order {order.code} for {event.name} was cancelled")
    ]


def test_resending_emails_the_order_as_it_stands(event, mailoutbox, django_capture_on_commit_callbacks):
    from tickets.orders.services import resend_email

    order = buy(event, TicketFactory(event=event, paid=True, name="Regular"))
    with django_capture_on_commit_callbacks(execute=True):
        resend_email(order=order)
    [mail] = mailoutbox
    assert (mail.to, mail.subject) == (["ann@example.com"], f"Your order {order.code} for {event.name}")
    assert "- Regular: Ann (25.00 EUR)" in mail.body
    assert "please pay 25.00 EUR by then" in mail.body


def test_expiring_overdue_orders_of_every_event_or_of_one(event):
    other = EventFactory(state=Event.PUBLISHED)
    here, there = TicketFactory(event=event, paid=True), TicketFactory(event=other, paid=True)
    with time_machine.travel(NOW, tick=False):
        overdue_here, overdue_there = buy(event, here), buy(other, there)
        paid = buy(event, here)
        mark_paid(order=paid)
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        due_later = buy(event, here)
    later = NOW + timedelta(days=4)
    assert expire_overdue(event=other, now=later) == 1
    assert dict(Order.objects.values_list("pk", "status")) == {
        overdue_here.pk: "pending",
        overdue_there.pk: "expired",
        paid.pk: "paid",
        due_later.pk: "pending",
    }
    assert expire_overdue(now=later) == 1
    assert expire_overdue(now=later) == 0
    assert dict(Order.objects.values_list("pk", "status")) == {
        overdue_here.pk: "expired",
        overdue_there.pk: "expired",
        paid.pk: "paid",
        due_later.pk: "pending",
    }
    assert Order.objects.get(pk=overdue_here.pk).updated_at == later


def test_expiring_one_order_only_once_it_is_overdue(event):
    from tickets.orders.services import expire_if_overdue

    webhook_for_orders(event)
    with time_machine.travel(NOW, tick=False):
        order = buy(event, TicketFactory(event=event, paid=True))
    placed_version, deadline = order.version, NOW + timedelta(days=3)
    counter = event_orders_counter(event)

    assert expire_if_overdue(order=order, now=deadline - timedelta(seconds=1)) is order
    assert (order.status, order.version, event_orders_counter(event)) == ("pending", placed_version, counter)
    assert Order.objects.get(pk=order.pk).status == "pending"

    assert expire_if_overdue(order=order, now=deadline) is order
    stored = Order.objects.get(pk=order.pk)
    assert (order.status, order.version) == ("expired", placed_version + 1)
    assert (stored.status, stored.version, stored.updated_at) == ("expired", placed_version + 1, deadline)
    assert event_orders_counter(event) == counter + 1
    assert changes()[-1] == ("order.expired", "tickets.order", order.pk, event.pk)

    # A copy read before another request stored "expired": shown expired, nothing written twice.
    stale = Order.objects.get(pk=order.pk)
    stale.status = "pending"
    expire_if_overdue(order=stale, now=deadline + timedelta(hours=1))
    assert (stale.status, stale.version) == ("expired", placed_version + 1)
    assert Order.objects.get(pk=order.pk).updated_at == deadline
    assert [kind for kind, *_rest in changes()].count("order.expired") == 1


def test_the_team_is_told_the_orders_size_total_and_page(event, django_capture_on_commit_callbacks):
    ticket = TicketFactory(event=event, paid=True)
    with django_capture_on_commit_callbacks(execute=True):
        order = buy(event, ticket, ticket)
    [notification] = Notification.objects.all()
    url = f"/events/{event.pk}/orders/{order.pk}/"
    assert (notification.user_id, notification.action, notification.url) == (event.created_by_id, "general", url)
    assert notification.title == f"New order {order.code} for {event.name}: 2 tickets"
    assert notification.message == (
        f'<p><a href="{url}" target="_blank" rel="noopener noreferrer nofollow">Order {order.code}</a> by Ann Buyer: '
        f"2 tickets, total {Decimal('50.00')}.</p>"
    )


def test_what_the_order_keeps_of_the_buyer_and_the_moment(event, client):
    from django.contrib.auth.models import AnonymousUser

    ticket = TicketFactory(event=event)
    lines = [Line(ticket.pk, attendee_name="  Ann  ", attendee_email=" ann@example.com ")]
    common = {"event": event, "lines": lines, "email": " ann@example.com ", "now": NOW}
    anonymous = place_order(name=" Ann Buyer ", placed_by=AnonymousUser(), checkout_token="", **common).order
    organizer = place_order(name="Ann Buyer", placed_by=event.created_by, **common).order
    stored = Order.objects.get(pk=anonymous.pk)
    assert (stored.name, stored.email, stored.placed_by_id, stored.checkout_token) == (
        "Ann Buyer",
        "ann@example.com",
        None,
        None,
    )
    assert (stored.created_at, stored.paid_at, stored.expires_at) == (NOW, NOW, None)
    assert list(stored.positions.values_list("attendee_name", "attendee_email")) == [("Ann", "ann@example.com")]
    assert Order.objects.get(pk=organizer.pk).placed_by_id == event.created_by_id


def test_a_checkout_token_finds_only_the_order_it_placed_in_this_event(event):
    # The token is made of the browser and the visit, not the event: one visit may reach two events' checkouts.
    other = EventFactory(state=Event.PUBLISHED)
    ticket = TicketFactory(event=event)
    mine = buy(event, ticket, checkout_token="a" * 32)
    elsewhere = buy(other, TicketFactory(event=other), checkout_token="b" * 32)
    placed = place_order(
        event=event, name="Ann", email="a@example.com", lines=[Line(ticket.pk, "Ann")], checkout_token="b" * 32
    )
    assert placed.created is True
    assert sorted(Order.objects.values_list("pk", "event_id", "checkout_token")) == [
        (mine.pk, event.pk, "a" * 32),
        (elsewhere.pk, other.pk, "b" * 32),
        (placed.order.pk, event.pk, "b" * 32),
    ]


def test_a_second_submit_that_reaches_the_insert_after_the_first_committed_gets_the_first_order(
    event, mailoutbox, django_capture_on_commit_callbacks
):
    # The two submits asked for different tickets (back, change, submit again), so no ticket lock queued them.
    ticket = TicketFactory(event=event)
    first = Order(event=event, name="Ann", email="a@example.com", status="paid", checkout_token="t" * 32)

    def first_submit_commits_while_stock_is_counted(execute, sql, params, many, context):
        if first.pk is None and 'FROM "tickets_orderposition"' in sql:
            first.save()
        return execute(sql, params, many, context)

    with (
        django_capture_on_commit_callbacks(execute=True),
        connection.execute_wrapper(first_submit_commits_while_stock_is_counted),
    ):
        placed = place_order(
            event=event, name="Ann", email="a@example.com", lines=[Line(ticket.pk, "Ann")], checkout_token="t" * 32
        )
    assert (placed.order.pk, placed.created) == (first.pk, False)
    assert (Order.objects.count(), OrderPosition.objects.count(), mailoutbox) == (1, 0, [])
    assert Notification.objects.count() == 0


def drawing(monkeypatch, *codes):
    """Make the codes of orders drawn from now on these, in turn, then the last one again and again."""
    letters = itertools.chain("".join(codes), itertools.cycle(codes[-1]))
    monkeypatch.setattr(secrets, "choice", lambda alphabet: next(letters))


def test_an_order_code_taken_in_the_event_is_drawn_again(event, monkeypatch):
    other = EventFactory(state=Event.PUBLISHED)
    ticket = TicketFactory(event=event)
    drawing(monkeypatch, "AAAAAA")
    taken = buy(event, ticket)
    elsewhere = buy(other, TicketFactory(event=other), checkout_token="t" * 32)
    drawing(monkeypatch, "AAAAAA", "BBBBBB")
    placed = place_order(
        event=event, name="Ann", email="a@example.com", lines=[Line(ticket.pk, "Ann")], checkout_token="t" * 32
    )
    assert (placed.created, placed.order.code) == (True, "BBBBBB")
    assert sorted(Order.objects.values_list("pk", "event_id", "code", "checkout_token")) == [
        (taken.pk, event.pk, "AAAAAA", None),
        (elsewhere.pk, other.pk, "AAAAAA", "t" * 32),
        (placed.order.pk, event.pk, "BBBBBB", "t" * 32),
    ]
    assert placed.order.positions.count() == 1


def test_placing_gives_up_after_five_codes_all_taken(event, monkeypatch):
    ticket = TicketFactory(event=event)
    drawing(monkeypatch, "AAAAAA")
    buy(event, ticket)
    with CaptureQueriesContext(connection) as queries, pytest.raises(RuntimeError) as error:
        buy(event, ticket)
    assert str(error.value) == "Could not find a free order code in five draws."
    inserts = [query["sql"] for query in queries if query["sql"].startswith('INSERT INTO "tickets_order" ')]
    assert len(inserts) == 5
    assert (Order.objects.count(), OrderPosition.objects.count()) == (1, 1)


def test_placing_an_order_locks_the_rows_of_its_own_tickets_only(event):
    wanted, _other = TicketFactory(event=event), TicketFactory(event=event)
    statements = []

    def record(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        buy(event, wanted)
    [(lock, params)] = [(sql, params) for sql, params in statements if 'FROM "tickets_ticket"' in sql]
    # What the statement reads is what it locks (PostgreSQL: FOR UPDATE): buyers of other tickets do not queue.
    with connection.cursor() as cursor:
        cursor.execute(lock, params)
        assert [row[0] for row in cursor.fetchall()] == [wanted.pk]


def test_a_late_payment_revives_an_expired_order_whose_tickets_nobody_else_holds(event):
    ticket = TicketFactory(event=event, paid=True, quantity=2, max_order=2)
    with time_machine.travel(NOW, tick=False):
        order = buy(event, ticket, ticket)
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        assert order.effective_status() == "expired"
        assert left(ticket) == 2
        assert mark_paid(order=order).status == "paid"
        assert left(ticket) == 0


def test_marking_paid_judges_the_deadline_at_the_moment_given(event):
    ticket = TicketFactory(event=event, paid=True, quantity=1)
    order = buy(event, ticket, now=NOW)
    later = NOW + timedelta(days=4)
    buy(event, ticket, now=later)
    with pytest.raises(SoldOut):
        mark_paid(order=order, now=later)
    assert Order.objects.get(pk=order.pk).status == "pending"


def test_the_order_marked_paid_comes_back_with_its_event(event, django_assert_num_queries):
    order = buy(event, TicketFactory(event=event, paid=True))
    paid = mark_paid(order=Order.objects.get(pk=order.pk))
    with django_assert_num_queries(0):
        assert paid.get_absolute_url() == f"/e/{event.slug}/orders/{order.code}/{order.secret}/"


def test_expiring_one_order_leaves_the_other_overdue_orders_alone(event):
    from tickets.orders.services import expire_if_overdue

    ticket = TicketFactory(event=event, paid=True)
    with time_machine.travel(NOW, tick=False):
        order, other = buy(event, ticket), buy(event, ticket)
    placed_version = order.version
    expire_if_overdue(order=order, now=NOW + timedelta(days=4))
    assert (order.status, order.version) == ("expired", placed_version + 1)
    assert dict(Order.objects.values_list("pk", "status")) == {order.pk: "expired", other.pk: "pending"}


def test_expiring_joins_the_callers_transaction_without_a_savepoint(event, django_assert_num_queries):
    from tickets.orders.services import expire_if_overdue

    with time_machine.travel(NOW, tick=False):
        order = buy(event, TicketFactory(event=event, paid=True))
    later = NOW + timedelta(days=4)
    # Nothing overdue: the event ids of what it would expire, the update.
    with django_assert_num_queries(2):
        assert expire_overdue(event=event, now=NOW) == 0
    # Those two, the list counters, whether a webhook wants "order.expired".
    with django_assert_num_queries(4):
        expire_if_overdue(order=order, now=later)
    assert Order.objects.get(pk=order.pk).status == "expired"


def test_expiring_records_a_change_for_each_order_it_expired_and_no_other(event):
    webhook_for_orders(event)
    ticket = TicketFactory(event=event, paid=True)
    with time_machine.travel(NOW - timedelta(days=10), tick=False):
        earlier = buy(event, ticket)
    assert expire_overdue(event=event, now=NOW - timedelta(days=5)) == 1
    with time_machine.travel(NOW - timedelta(days=4), tick=False):
        overdue = buy(event, ticket)
    with time_machine.travel(NOW, tick=False):
        paid = buy(event, ticket)
        mark_paid(order=paid)  # written at the same moment as the expiry below
        assert expire_overdue(event=event) == 1
    assert Order.objects.get(pk=paid.pk).updated_at == NOW
    assert [(kind, object_id) for kind, _label, object_id, _event in changes() if kind == "order.expired"] == [
        ("order.expired", earlier.pk),
        ("order.expired", overdue.pk),
    ]


def test_marking_paid_locks_the_orders_row_and_not_its_events(event):
    if not connection.features.has_select_for_update_of:
        pytest.skip("SQLite has no row locks (PostgreSQL pass)")
    order = buy(event, TicketFactory(event=event, paid=True))
    with CaptureQueriesContext(connection) as queries:
        mark_paid(order=order)
    [lock] = [query["sql"] for query in queries if " FOR UPDATE" in query["sql"] and '"tickets_order"' in query["sql"]]
    assert lock.rsplit(" FOR UPDATE", 1)[1] == ' OF "tickets_order"'


def test_marking_paid_reads_the_time_once_the_order_is_locked(event, monkeypatch):
    """Finding (an attacker's probe, by reading): the time was read before waiting for the order's row, so a
    deadline that passed during the wait, while a checkout sold the tickets the order no longer held, was not
    seen: the late payment was taken without reclaiming the stock, two orders holding one ticket's two seats."""
    ticket = TicketFactory(event=event, paid=True, quantity=2, max_order=2)
    with time_machine.travel(NOW, tick=False) as clock:
        late = buy(event, ticket, ticket)
        lock = services_module._lock

        def lock_after_the_deadline(order):
            clock.move_to(late.expires_at + timedelta(minutes=1))  # the wait for the row outlasts the deadline
            # Someone buys the freed seats meanwhile (here in the same transaction, so undone with the refusal).
            buy(event, ticket, ticket, email="quick@example.com")
            return lock(order)

        monkeypatch.setattr(services_module, "_lock", lock_after_the_deadline)
        with pytest.raises(SoldOut):
            mark_paid(order=late)

    assert Order.objects.get(pk=late.pk).status == Order.PENDING  # expired by its deadline, and not paid
