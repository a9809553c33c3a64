"""An event sells in one currency, named beside every amount a buyer or organizer reads; fixed once it has orders.

Finding (a browser walk): no page, email or total said what the amounts were in ("please pay 123.00").
"""

from decimal import Decimal

import pytest

from events.models import Event
from events.tests.factories import EventFactory

from .factories import OrderFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return EventFactory(state=Event.PUBLISHED, currency="USD", payment_instructions="Bank: 123")


def test_amounts_name_the_events_currency_on_every_page_and_in_the_email(
    client, event, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(event=event, name="Regular", paid=True, price=Decimal("25.00"))
    TicketFactory(event=event, name="Gift", donation=True, min_price=Decimal("5.00"))

    public = client.get(f"/e/{event.slug}/").content.decode()
    assert '<div class="fw-semibold mb-1">25.00 USD</div>' in public
    assert '<div class="fw-semibold mb-1">Pay what you want (from 5.00 USD)</div>' in public
    assert 'data-currency="USD"' in public  # the running total's unit (static/js/checkout.js)

    order = OrderFactory(event=event, pending=True, total=Decimal("25.00"), tickets=[ticket])
    page = client.get(order.get_absolute_url()).content.decode()
    assert "Please pay <strong>25.00 USD</strong>" in page
    assert "<span>Total</span><strong>25.00 USD</strong>" in page

    client.force_login(event.created_by)
    dashboard = client.get(f"/events/{event.pk}/").content.decode()
    assert "<td>25.00 USD</td>" in dashboard
    assert '<td class="fw-semibold" id="revenue">0.00 USD</td>' in dashboard
    orders = client.get(f"/events/{event.pk}/orders/").content.decode()
    assert "</span> 25.00 USD</span>" in orders

    from tickets.orders.services import resend_email

    with django_capture_on_commit_callbacks(execute=True):
        resend_email(order=order)
    assert "please pay 25.00 USD by then" in mailoutbox[-1].body


def test_the_currency_is_chosen_on_the_first_step_and_kept_when_a_form_leaves_it_out(client):
    event = EventFactory()
    client.force_login(event.created_by)
    for page in (client.get("/events/new/", follow=True), client.get(f"/events/{event.pk}/edit/")):
        assert '<option value="EUR" selected>EUR</option>' in page.content.decode()
    form = {"name": event.name, "starts_at": "2030-07-01T09:00", "ends_at": "2030-07-01T18:00", "timezone": "UTC"}
    assert client.post(f"/events/{event.pk}/edit/", {**form, "currency": "GBP"}).status_code == 302
    assert client.post(f"/events/{event.pk}/edit/", form).status_code == 302
    event.refresh_from_db()
    assert event.currency == "GBP"
    page = client.post(f"/events/{event.pk}/edit/", {**form, "currency": "XXX"})
    assert page.context["form"].errors == {
        "currency": ["Select a valid choice. XXX is not one of the available choices."]
    }


def test_the_currency_cannot_change_once_the_event_has_orders_at_any_door(client, api_for, event):
    OrderFactory(event=event, tickets=[TicketFactory(event=event, paid=True)])
    refusal = ["This event has orders in USD, so its currency cannot change."]
    client.force_login(event.created_by)
    form = {
        "name": event.name,
        "starts_at": "2030-07-01T09:00",
        "ends_at": "2030-07-01T18:00",
        "timezone": "UTC",
        "payment_instructions": "Bank: 123",
    }

    page = client.post(f"/events/{event.pk}/edit/", {**form, "currency": "EUR"})
    answer = api_for(event.created_by).patch(f"/api/v1/events/{event.pk}/", {"currency": "EUR"}, format="json")

    assert page.context["form"].errors == {"currency": refusal}
    assert (answer.status_code, answer.json()) == (400, {"currency": refusal})
    event.refresh_from_db()
    assert event.currency == "USD"
    # The same currency again is no change.
    same = api_for(event.created_by).patch(f"/api/v1/events/{event.pk}/", {"currency": "USD"}, format="json")
    assert same.status_code == 200


def test_without_orders_the_api_changes_the_currency(api_for):
    event = EventFactory()
    answer = api_for(event.created_by).patch(f"/api/v1/events/{event.pk}/", {"currency": "CHF"}, format="json")
    assert (answer.status_code, answer.json()["currency"]) == (200, "CHF")


def test_the_tickets_step_names_the_currency_of_its_prices(client):
    event = EventFactory(currency="CHF")
    TicketFactory(event=event, name="Regular", paid=True)
    client.force_login(event.created_by)
    page = client.get(f"/events/{event.pk}/wizard/tickets/").content.decode()
    assert '<th scope="col" style="width: 22%">Price (CHF)</th>' in page
    assert ">Minimum donation (CHF)</label>" in page
