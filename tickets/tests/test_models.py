from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.versioning import read_counters
from events.tests.factories import EventFactory
from tickets.models import Ticket

from .factories import TicketFactory

pytestmark = pytest.mark.django_db


def save_raw(**fields):
    """Insert a ticket without model validation, so only the database judges it."""
    with transaction.atomic():
        Ticket.objects.create(**fields)


@pytest.fixture
def event():
    return EventFactory()


def test_ticket_constraint_refuses_negative_price(event):
    with pytest.raises(IntegrityError) as raised:
        save_raw(event=event, name="Bad", type="paid", price=Decimal("-1"))
    # Both constraints reject it; which one the database names first differs.
    assert {"ticket_price_not_negative", "ticket_price_matches_type"} & set(str(raised.value).replace('"', " ").split())


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"type": "paid", "price": Decimal("0")}, "ticket_price_matches_type"),
        ({"type": "free", "price": Decimal("5")}, "ticket_price_matches_type"),
        ({"type": "donation", "price": Decimal("5")}, "ticket_price_matches_type"),
        ({"type": "free", "min_price": Decimal("1")}, "ticket_min_price_donation_only"),
        ({"type": "donation", "min_price": Decimal("-1")}, "ticket_min_price_donation_only"),
        ({"type": "vip"}, "ticket_type_known"),
        ({"min_order": 0}, "ticket_order_limits"),
        ({"min_order": 5, "max_order": 4}, "ticket_order_limits"),
    ],
)
def test_ticket_constraint_refuses_invalid_row(event, fields, constraint):
    with pytest.raises(IntegrityError) as raised:
        save_raw(event=event, name="Bad", **fields)
    # SQLite and PostgreSQL both name the failed constraint.
    assert constraint in str(raised.value)


def test_ticket_constraint_refuses_negative_quantity(event):
    with pytest.raises(IntegrityError):
        save_raw(event=event, name="Bad", quantity=-1)


def test_ticket_constraint_refuses_sales_ending_before_start(event):
    start = event.starts_at - timedelta(days=5)
    with pytest.raises(IntegrityError):
        save_raw(event=event, name="Bad", sales_starts_at=start, sales_ends_at=start)


def test_ticket_constraint_refuses_same_name_in_other_case(event):
    TicketFactory(event=event, name="Early Bird")
    with pytest.raises(IntegrityError):
        save_raw(event=event, name="EARLY bird")


def test_ticket_same_name_allowed_in_another_event(event):
    TicketFactory(event=event, name="Early Bird")
    other = TicketFactory(name="early bird")
    assert other.pk is not None


def test_ticket_valid_rows_of_each_type_save(event):
    save_raw(event=event, name="Free", type="free")
    save_raw(event=event, name="Paid", type="paid", price=Decimal("10.50"))
    save_raw(event=event, name="Donation", type="donation", min_price=None)
    assert list(event.tickets.values_list("name", flat=True)) == ["Free", "Paid", "Donation"]


def clean_errors(ticket):
    with pytest.raises(ValidationError) as raised:
        ticket.clean()
    return raised.value.message_dict


def test_ticket_clean_paid_needs_price_above_zero(event):
    ticket = Ticket(event=event, name="Paid", type=Ticket.PAID, price=Decimal("0"))
    assert clean_errors(ticket) == {"price": ["A paid ticket needs a price above 0."]}


def test_ticket_clean_free_has_no_price(event):
    ticket = Ticket(event=event, name="Free", type=Ticket.FREE, price=Decimal("3"))
    assert clean_errors(ticket) == {"price": ["A free ticket has no price."]}


def test_ticket_clean_min_price_only_for_donations(event):
    ticket = Ticket(event=event, name="Paid", type=Ticket.PAID, price=Decimal("3"), min_price=Decimal("1"))
    assert clean_errors(ticket) == {"min_price": ["Only donation tickets take a minimum."]}


def test_ticket_clean_min_order_at_most_quantity_and_max_order_free(event):
    Ticket(event=event, name="Few", quantity=5, min_order=1, max_order=6).clean()  # no error
    ticket = Ticket(event=event, name="Few", quantity=5, min_order=6, max_order=6)
    assert clean_errors(ticket) == {
        "min_order": ["The minimum per order cannot exceed the quantity (5): nobody could buy this ticket."]
    }


def test_ticket_clean_max_order_at_least_min_order(event):
    ticket = Ticket(event=event, name="Odd", min_order=4, max_order=3)
    assert clean_errors(ticket) == {"max_order": ["The maximum per order must be at least the minimum (4)."]}


def test_ticket_clean_sales_end_no_later_than_event_end():
    event = EventFactory(starts_at=datetime(2030, 5, 1, 9, tzinfo=UTC), ends_at=datetime(2030, 5, 2, 18, tzinfo=UTC))
    ticket = Ticket(event=event, name="Late", sales_ends_at=datetime(2030, 5, 2, 18, 1, tzinfo=UTC))
    assert clean_errors(ticket) == {
        "sales_ends_at": ["Sales must end no later than the event ends (2030-05-02 18:00 UTC)."]
    }


def test_ticket_clean_sales_start_before_event_end():
    event = EventFactory(starts_at=datetime(2030, 5, 1, 9, tzinfo=UTC), ends_at=datetime(2030, 5, 2, 18, tzinfo=UTC))
    ticket = Ticket(event=event, name="Late", sales_starts_at=datetime(2030, 5, 3, 9, tzinfo=UTC))
    assert clean_errors(ticket) == {
        "sales_starts_at": ["Sales must start before the event ends (2030-05-02 18:00 UTC)."]
    }


def test_ticket_clean_sales_end_after_start(event):
    start = event.starts_at - timedelta(days=3)
    ticket = Ticket(event=event, name="Back", sales_starts_at=start, sales_ends_at=start - timedelta(hours=1))
    assert clean_errors(ticket) == {"sales_ends_at": ["Sales must end after they start."]}


def test_ticket_clean_accepts_sales_ending_with_the_event(event):
    ticket = Ticket(event=event, name="Last minute", sales_ends_at=event.ends_at)
    ticket.clean()


def test_ticket_save_bumps_the_tickets_counter(event):
    key = f"event.{event.pk}.tickets"
    before = read_counters([key])[key]
    TicketFactory(event=event)
    assert read_counters([key])[key] == before + 1


def test_ticket_on_sale_excludes_hidden_closed_and_future_tickets(event):
    now = timezone.now()
    open_ticket = TicketFactory(event=event, name="Open")
    TicketFactory(event=event, name="Hidden", hidden=True)
    TicketFactory(event=event, name="Ended", sales_starts_at=now - timedelta(days=2), sales_ends_at=now)
    TicketFactory(event=event, name="Later", sales_starts_at=now + timedelta(days=1))
    window = TicketFactory(event=event, name="Window", sales_starts_at=now - timedelta(days=1))
    assert list(Ticket.objects.on_sale(now=now)) == [open_ticket, window]


def test_ticket_on_sale_without_end_stops_when_the_event_ends(event):
    TicketFactory(event=event, name="Open")
    assert list(Ticket.objects.on_sale(now=event.ends_at)) == []


@pytest.mark.parametrize(
    ("fields", "label"),
    [
        ({"type": "free"}, "Free"),
        ({"type": "paid", "price": Decimal("12.5")}, "12.50"),
        ({"type": "donation"}, "Pay what you want"),
        ({"type": "donation", "min_price": Decimal("3")}, "Pay what you want (from 3.00)"),
    ],
)
def test_ticket_price_label(fields, label):
    assert Ticket(**fields).price_label == label
