from decimal import Decimal

import pytest

from core.versioning import StaleObjectError, read_counters
from events.tests.factories import EventFactory
from tickets.forms import TicketFormSet
from tickets.models import Ticket
from tickets.services import TicketChanges, save_tickets

from .factories import TicketFactory
from .formdata import ticket_formset_data, ticket_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return EventFactory()


def counter(event):
    key = f"event.{event.pk}.tickets"
    return read_counters([key])[key]


def test_save_tickets_50_new_rows_cost_6_queries(event, django_assert_num_queries):
    rows = [{"type": "paid", "name": f"Ticket {index}", "price": f"{index + 1}.50"} for index in range(50)]
    formset = TicketFormSet(ticket_formset_data(rows), instance=event)
    before = counter(event)
    # 1 name check, the service's savepoint pair, the bulk insert, the counter bump and whether a webhook
    # wants "ticket.created" (all three inside it).
    with django_assert_num_queries(6):
        assert formset.is_valid()
        changes = save_tickets(formset=formset)
    assert changes == TicketChanges(created=50)
    assert event.tickets.count() == 50
    assert list(event.tickets.values_list("position", flat=True)[:3]) == [0, 1, 2]
    assert Ticket.objects.get(event=event, name="Ticket 49").price == Decimal("50.50")
    assert counter(event) == before + 1


def test_save_tickets_deletes_updates_and_creates_in_row_order(event):
    first = TicketFactory(event=event, name="First", position=0)
    second = TicketFactory(event=event, name="Second", position=1)
    third = TicketFactory(event=event, name="Third", position=2)
    rows = [
        {**ticket_row(first), "DELETE": "on"},
        {**ticket_row(second), "name": "Second, renamed"},
        ticket_row(third),
        {"type": "donation", "name": "New"},
    ]
    formset = TicketFormSet(ticket_formset_data(rows, initial=3), instance=event)
    assert formset.is_valid(), formset.errors

    changes = save_tickets(formset=formset)

    assert changes == TicketChanges(created=1, updated=2, deleted=1)
    assert str(changes) == "1 added, 2 changed, 1 removed"
    assert list(event.tickets.values_list("name", "position", "version")) == [
        ("Second, renamed", 0, 2),
        ("Third", 1, 2),
        ("New", 2, 1),
    ]


def test_save_tickets_leaves_unchanged_rows_alone(event):
    ticket = TicketFactory(event=event, name="Same", position=0)
    formset = TicketFormSet(ticket_formset_data([ticket_row(ticket)], initial=1), instance=event)
    assert formset.is_valid(), formset.errors
    before = counter(event)

    assert save_tickets(formset=formset) == TicketChanges()

    ticket.refresh_from_db()
    assert (ticket.version, counter(event)) == (1, before)


def test_save_tickets_refuses_to_overwrite_a_newer_version(event):
    ticket = TicketFactory(event=event, name="Shared", position=0)
    seen = ticket_row(ticket)
    ticket.name = "Changed by a colleague"
    ticket.save()
    formset = TicketFormSet(ticket_formset_data([{**seen, "name": "Mine"}], initial=1), instance=event)
    assert formset.is_valid(), formset.errors

    with pytest.raises(StaleObjectError):
        save_tickets(formset=formset)

    ticket.refresh_from_db()
    assert ticket.name == "Changed by a colleague"


def test_save_tickets_refuses_to_delete_a_newer_version(event):
    ticket = TicketFactory(event=event, name="Shared", position=0)
    seen = ticket_row(ticket)
    ticket.quantity = 5
    ticket.max_order = 5
    ticket.save()
    formset = TicketFormSet(ticket_formset_data([{**seen, "DELETE": "on"}], initial=1), instance=event)
    assert formset.is_valid(), formset.errors

    with pytest.raises(StaleObjectError):
        save_tickets(formset=formset)

    assert event.tickets.count() == 1
