"""The public checkout without JavaScript: choose, give names, place once; the order page behind its secret."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from events.models import Event
from events.tests.factories import EventFactory
from tickets.models import Order, OrderPosition

from .factories import OrderFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return EventFactory(state=Event.PUBLISHED, payment_instructions="Pay to IBAN DE00 1234.")


VISIT = "v" * 22  # what the event page's form adds to the checkout URL


def checkout_page(client, event, **selection):
    """GET the checkout page for the selection; return (response, the form's hidden fields)."""
    response = client.get(f"/e/{event.slug}/checkout/", {"visit": VISIT, **selection})
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.content.decode()))
    hidden.pop("csrfmiddlewaretoken", None)
    return response, hidden


def attendees(count, **extra):
    return {**{f"attendee-{n}-name": f"Attendee {n}" for n in range(count)}, **extra}


def place(client, event, positions, **selection):
    _page, hidden = checkout_page(client, event, **selection)
    data = {**hidden, "name": "Ann Buyer", "email": "ann@example.com", **attendees(positions)}
    return client.post(f"/e/{event.slug}/checkout/", data), data


def test_checkout_page_asks_for_the_buyer_and_one_attendee_per_ticket(client, event):
    ticket = TicketFactory(event=event, name="Regular", type="paid", price=Decimal("30"))
    response, hidden = checkout_page(client, event, **{f"qty-{ticket.pk}": "2"})
    assert response.status_code == 200
    form = response.context["form"]
    assert [position["label"] for position in form.positions] == ["Regular (1 of 2)", "Regular (2 of 2)"]
    assert form.total == Decimal("60")
    assert hidden == {f"qty-{ticket.pk}": "2", "visit": VISIT}


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        (lambda t, d: {}, "Choose at least one ticket."),
        (lambda t, d: {f"qty-{t.pk}": "11"}, "Choose at most 10."),
        (lambda t, d: {f"qty-{t.pk}": "many"}, "Enter a whole number."),
        (lambda t, d: {f"qty-{d.pk}": "1", f"amount-{d.pk}": "4"}, "The minimum is 5.00."),
        (lambda t, d: {f"qty-{d.pk}": "1", f"amount-{d.pk}": "five"}, "Enter the amount as a number, e.g. 10.50."),
    ],
    ids=["nothing", "above-max", "not-a-number", "donation-below-minimum", "donation-not-a-number"],
)
def test_a_selection_that_does_not_hold_goes_back_to_the_event_page_with_the_reason(client, event, selection, message):
    ticket = TicketFactory(event=event)
    donation = TicketFactory(event=event, donation=True)
    response = client.get(f"/e/{event.slug}/checkout/", selection(ticket, donation))
    assert response.status_code == 200
    assert response.templates[0].name == "events/public.html"
    assert message in response.content.decode()


def test_a_ticket_not_on_sale_yet_cannot_be_chosen(client, event):
    later = TicketFactory(event=event, name="Later", sales_starts_at=timezone.now() + timedelta(days=3))
    response = client.get(f"/e/{event.slug}/checkout/", {f"qty-{later.pk}": "1"})
    assert "Later is not on sale (on sale from" in response.content.decode()


def test_placing_a_free_order_pays_it_and_shows_its_qr_codes(client, event):
    ticket = TicketFactory(event=event, name="Community")
    response, _data = place(client, event, 2, **{f"qty-{ticket.pk}": "2"})
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/e/{event.slug}/orders/{order.code}/{order.secret}/"
    assert (order.status, order.name, order.email) == ("paid", "Ann Buyer", "ann@example.com")
    assert sorted(order.positions.values_list("attendee_name", flat=True)) == ["Attendee 0", "Attendee 1"]
    page = client.get(response["Location"]).content.decode()
    assert page.count('<svg viewBox="0 0 ') == 2
    assert "Your order is confirmed" in page


def test_a_paid_order_page_shows_how_to_pay_with_the_code_as_reference(client, event):
    ticket = TicketFactory(event=event, paid=True)
    donation = TicketFactory(event=event, donation=True)
    selection = {f"qty-{ticket.pk}": "1", f"qty-{donation.pk}": "1", f"amount-{donation.pk}": "7.50"}
    response, _data = place(client, event, 2, **selection)
    order = Order.objects.get()
    assert (order.status, order.total) == ("pending", Decimal("32.50"))
    page = client.get(response["Location"]).content.decode()
    assert "Pay to IBAN DE00 1234." in page
    assert f'with the reference <strong class="font-monospace">{order.code}</strong>' in page
    assert page.count('<svg viewBox="0 0 ') == 2
    assert "Valid once the order is paid" in page


def test_a_checkout_link_without_a_visit_gets_one_in_its_url(client, event):
    ticket = TicketFactory(event=event)
    response = client.get(f"/e/{event.slug}/checkout/", {f"qty-{ticket.pk}": "1"})
    assert response.status_code == 302
    assert re.fullmatch(
        rf"/e/{event.slug}/checkout/\?qty-{ticket.pk}=1&visit=[A-Za-z0-9_-]{{22}}", response["Location"]
    )


def test_the_event_page_gives_each_rendering_a_new_visit(client, event):
    TicketFactory(event=event)
    visits = [
        re.search(r'name="visit" value="([^"]+)"', client.get(event.get_absolute_url()).content.decode()).group(1)
        for _ in range(2)
    ]
    assert len(set(visits)) == 2


def test_the_same_checkout_url_in_another_browser_places_its_own_order(client, event):
    ticket = TicketFactory(event=event)
    place(client, event, 1, **{f"qty-{ticket.pk}": "1"})
    stranger = Client()
    place(stranger, event, 1, **{f"qty-{ticket.pk}": "1"})
    assert Order.objects.count() == 2
    assert len(set(Order.objects.values_list("checkout_token", flat=True))) == 2


def test_a_submit_without_the_browser_cookie_says_the_page_expired(client, event):
    ticket = TicketFactory(event=event)
    _page, hidden = checkout_page(client, event, **{f"qty-{ticket.pk}": "1"})
    del client.cookies["checkout_browser"]
    response = client.post(
        f"/e/{event.slug}/checkout/", {**hidden, "name": "Ann", "email": "a@example.com", **attendees(1)}
    )
    assert "This page has expired" in response.content.decode()
    assert Order.objects.count() == 0


def test_a_second_submit_of_the_same_form_lands_on_the_same_order(client, event):
    ticket = TicketFactory(event=event)
    first, data = place(client, event, 1, **{f"qty-{ticket.pk}": "1"})
    again = client.post(f"/e/{event.slug}/checkout/", data)
    assert again.status_code == 302
    assert again["Location"] == first["Location"]
    assert (Order.objects.count(), OrderPosition.objects.count()) == (1, 1)
    assert "You placed this order already" in client.get(again["Location"]).content.decode()
    # The browser fetched the checkout page again (back): the same visit still finds the same order.
    _page, hidden = checkout_page(client, event, **{f"qty-{ticket.pk}": "1"})
    assert client.post(f"/e/{event.slug}/checkout/", {**data, **hidden})["Location"] == first["Location"]
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda data, t: {**data, f"price-{t.pk}": "0.01"}, "This form was changed"),
        (lambda data, t: {**data, "total": "0"}, "This form was changed"),
        (lambda data, t: {**data, "visit": "short"}, "This form was changed"),
        (lambda data, t: {key: value for key, value in data.items() if key != "visit"}, "This field is required."),
        (lambda data, t: {**data, "attendee-0-name": ""}, "This field is required."),
        (lambda data, t: {**data, "email": "not-an-email"}, "Enter a valid email address."),
        (lambda data, t: {**data, f"qty-{t.pk}": "-1"}, "Ensure this value is greater than or equal to 0."),
    ],
    ids=["price-field", "total-field", "bad-visit", "no-visit", "no-attendee-name", "bad-email", "negative-quantity"],
)
def test_a_tampered_or_incomplete_checkout_saves_nothing_and_says_why(client, event, tamper, message):
    ticket = TicketFactory(event=event, paid=True)
    _page, hidden = checkout_page(client, event, **{f"qty-{ticket.pk}": "1"})
    data = tamper({**hidden, "name": "Ann", "email": "ann@example.com", **attendees(1)}, ticket)
    response = client.post(f"/e/{event.slug}/checkout/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Order.objects.count() == 0


def test_sold_out_meanwhile_is_a_409_page_and_saves_nothing(client, event):
    ticket = TicketFactory(event=event, quantity=2, name="Regular")
    _page, hidden = checkout_page(client, event, **{f"qty-{ticket.pk}": "2"})
    OrderFactory(event=event, tickets=[ticket])
    response = client.post(
        f"/e/{event.slug}/checkout/", {**hidden, "name": "Ann", "email": "a@example.com", **attendees(2)}
    )
    assert response.status_code == 409
    assert "Only 1 of Regular left; choose fewer." in response.content.decode()
    assert Order.objects.count() == 1


def test_a_huge_quantity_posted_by_hand_is_refused_before_any_attendee_form(client, event):
    ticket = TicketFactory(event=event, max_order=2)
    response = client.post(f"/e/{event.slug}/checkout/", {f"qty-{ticket.pk}": "9999", "visit": VISIT})
    assert "An order holds at most 100 tickets." in response.content.decode()
    assert Order.objects.count() == 0


def test_a_more_than_allowed_quantity_posted_by_hand_is_refused_by_the_service(client, event):
    ticket = TicketFactory(event=event, name="Regular", max_order=2)
    _page, hidden = checkout_page(client, event, **{f"qty-{ticket.pk}": "2"})
    data = {**hidden, f"qty-{ticket.pk}": "3", "name": "Ann", "email": "a@example.com", **attendees(3)}
    response = client.post(f"/e/{event.slug}/checkout/", data)
    assert "Order at most 2 of Regular at a time." in response.content.decode()
    assert Order.objects.count() == 0


def test_a_hidden_ticket_is_bought_through_its_link_only(client, event):
    hidden = TicketFactory(event=event, name="Backstage", hidden=True)
    response, _data = place(client, event, 1, **{f"qty-{hidden.pk}": "1", "access": hidden.secret})
    assert response.status_code == 302
    without = client.post(
        f"/e/{event.slug}/checkout/",
        {f"qty-{hidden.pk}": "1", "visit": VISIT, "name": "Eve", "email": "e@example.com", **attendees(1)},
    )
    # Without the link the ticket is not on the page, so the choice of it is not either.
    assert "Choose at least one ticket." in without.content.decode()
    assert Order.objects.count() == 1


def test_a_draft_events_checkout_is_a_404(client):
    draft = EventFactory()
    ticket = TicketFactory(event=draft)
    assert client.get(f"/e/{draft.slug}/checkout/", {f"qty-{ticket.pk}": "1"}).status_code == 404
    assert client.post(f"/e/{draft.slug}/checkout/", {f"qty-{ticket.pk}": "1"}).status_code == 404


def test_the_order_page_is_a_404_for_a_wrong_secret_like_for_a_missing_order(client, event):
    order = OrderFactory(event=event, tickets=[TicketFactory(event=event)])
    other = EventFactory(state=Event.PUBLISHED)
    assert client.get(f"/e/{event.slug}/orders/{order.code}/{order.secret}/").status_code == 200
    assert client.get(f"/e/{event.slug}/orders/{order.code.lower()}/{order.secret}/").status_code == 200
    assert client.get(f"/e/{event.slug}/orders/{order.code}/{order.secret[:-1]}x/").status_code == 404
    assert client.get(f"/e/{event.slug}/orders/ZZZZZZ/{order.secret}/").status_code == 404
    assert client.get(f"/e/{other.slug}/orders/{order.code}/{order.secret}/").status_code == 404


def test_the_order_page_stores_expired_on_an_overdue_order_and_hides_its_codes(client, event):
    ticket = TicketFactory(event=event, paid=True)
    with time_machine.travel(timezone.now() - timedelta(days=5)):
        order = OrderFactory(event=event, pending=True, tickets=[ticket])
    page = client.get(f"/e/{event.slug}/orders/{order.code}/{order.secret}/").content.decode()
    assert "has expired" in page
    assert "<svg" not in page
    assert Order.objects.get(pk=order.pk).status == "expired"


def test_buyers_keep_their_order_page_while_the_event_is_unpublished(client, event):
    """Finding (a browser walk and an attacker's probe): unpublishing an event made its buyers' order pages 404,
    so paid attendees lost their QR codes and the payment details their email links to."""
    ticket = TicketFactory(event=event, name="Regular")
    order = OrderFactory(event=event, tickets=[ticket])
    event.state = Event.DRAFT
    event.save()

    page = client.get(order.get_absolute_url())

    assert page.status_code == 200
    assert page.content.decode().count("<svg") == 1  # the one position's QR code
    assert f'href="/e/{event.slug}/"' not in page.content.decode()  # the event's page is not public now
    wrong = f"/e/{event.slug}/orders/{order.code}/{'x' * len(order.secret)}/"
    assert client.get(wrong).status_code == 404
    assert client.get(f"/e/{event.slug}/").status_code == 404
