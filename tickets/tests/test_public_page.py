"""The event page offers every public ticket with its state, a hidden one only through its link; availability JSON."""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.utils import dateformat, timezone

from events.models import Event
from events.tests.factories import EventFactory

from .factories import OrderFactory, TicketFactory

pytestmark = pytest.mark.django_db


def offered(response):
    return [
        (offer.ticket.name, offer.state, offer.few_left, offer.max_quantity) for offer in response.context["offers"]
    ]


def test_public_page_lists_every_public_ticket_with_its_state(client):
    event = EventFactory(state=Event.PUBLISHED)
    now = timezone.now()
    TicketFactory(event=event, name="Community", position=0)
    TicketFactory(event=event, name="Regular", type="paid", price=Decimal("30"), position=1, max_order=4)
    TicketFactory(event=event, name="Backstage", hidden=True, position=2)
    TicketFactory(
        event=event, name="Sold earlier", sales_starts_at=now - timedelta(days=9), sales_ends_at=now, position=3
    )
    TicketFactory(
        event=event,
        name="Next month",
        type="paid",
        price=Decimal("40"),
        sales_starts_at=now + timedelta(days=20),
        position=4,
    )
    last = TicketFactory(event=event, name="Last few", quantity=12, position=5)
    OrderFactory(event=event, tickets=[last] * 9)
    gone = TicketFactory(event=event, name="Gone", quantity=1, position=6)
    OrderFactory(event=event, tickets=[gone])
    # A browser walk: five of five read "Only 5 left" before anyone bought one.
    TicketFactory(event=event, name="Small room", quantity=5, max_order=5, position=7)

    response = client.get(event.get_absolute_url())

    assert response.status_code == 200
    assert offered(response) == [
        ("Community", "on_sale", None, 10),
        ("Regular", "on_sale", None, 4),
        ("Sold earlier", "ended", None, 0),
        ("Next month", "not_yet", None, 0),
        ("Last few", "on_sale", 3, 3),
        ("Gone", "sold_out", None, 0),
        ("Small room", "on_sale", None, 5),
    ]
    html = response.content.decode()
    assert "30.00" in html
    assert "Only 3 left" in html
    assert "Sales ended" in html
    assert "Sold out" in html
    starts = dateformat.format(timezone.localtime(now + timedelta(days=20), UTC), "j M Y, H:i")
    assert f"On sale from {starts}" in html  # the paid ticket starting next month is there (event time zone: UTC)
    assert "Backstage" not in html


def test_the_quantity_choice_stays_within_the_limits_and_the_donation_starts_at_its_minimum(client):
    event = EventFactory(state=Event.PUBLISHED)
    group = TicketFactory(event=event, name="Group", min_order=3, max_order=5)
    donation = TicketFactory(event=event, name="Support", donation=True)
    html = client.get(event.get_absolute_url()).content.decode()
    options = html[html.index(f'name="qty-{group.pk}"') : html.index("</select>", html.index(f'name="qty-{group.pk}"'))]
    assert [line.split('"')[1] for line in options.split("<option")[1:]] == ["0", "3", "4", "5"]
    assert f'name="amount-{donation.pk}"' in html
    assert 'value="5.00"' in html and 'min="5.00"' in html


def test_a_hidden_ticket_is_offered_only_with_its_link(client):
    event = EventFactory(state=Event.PUBLISHED)
    hidden = TicketFactory(event=event, name="Backstage", hidden=True)
    assert "Backstage" not in client.get(event.get_absolute_url()).content.decode()
    assert "Backstage" not in client.get(f"{event.get_absolute_url()}?access=wrong").content.decode()
    response = client.get(f"{event.get_absolute_url()}?access={hidden.secret}")
    assert [offer.ticket.name for offer in response.context["offers"]] == ["Backstage"]
    assert f'name="access" value="{hidden.secret}"' in response.content.decode()


def test_public_page_without_public_tickets_has_no_tickets_section(client):
    event = EventFactory(state=Event.PUBLISHED)
    TicketFactory(event=event, name="Backstage", hidden=True)
    response = client.get(event.get_absolute_url())
    assert 'id="tickets"' not in response.content.decode()


def test_availability_answers_json_with_an_etag_that_moves_with_orders(client, django_assert_num_queries):
    event = EventFactory(state=Event.PUBLISHED)
    ticket = TicketFactory(event=event, quantity=6, max_order=4)
    url = f"/e/{event.slug}/availability/"
    first = client.get(url)
    assert first.json() == {
        "tickets": [
            {
                "id": ticket.pk,
                "state": "on_sale",
                "label": "On sale",
                "few_left": None,
                "max_quantity": 4,
                "min_quantity": 1,
            }
        ]
    }
    # the event with the visitor's view of it, the counters, the tickets with what they have left
    with django_assert_num_queries(3):
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    OrderFactory(event=event, tickets=[ticket] * 3)
    second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200
    assert second.json()["tickets"][0]["few_left"] == 3
    assert second["ETag"] != first["ETag"]


def test_availability_of_a_draft_event_is_a_404(client):
    event = EventFactory()
    assert client.get(f"/e/{event.slug}/availability/").status_code == 404


def test_organizers_find_a_tickets_secret_link_in_its_details_and_the_public_never_does(client, api_for, settings):
    settings.SITE_URL = "https://tickets.example.org"
    event = EventFactory(state=Event.PUBLISHED)
    hidden = TicketFactory(event=event, name="Backstage", hidden=True)
    public = TicketFactory(event=event, name="Regular")
    link = f"https://tickets.example.org/e/{event.slug}/?access={hidden.secret}"
    client.force_login(event.created_by)
    assert link in client.get(f"/events/{event.pk}/wizard/tickets/").content.decode()
    listed = api_for(event.created_by).get(f"/api/v1/events/{event.pk}/tickets/").json()["results"]
    assert {ticket["name"]: ticket["secret_link"] for ticket in listed}[hidden.name] == link
    public_list = api_for(None).get(f"/api/v1/events/{event.pk}/tickets/").json()["results"]
    # The field is private: the public's answer does not carry it at all.
    assert [(ticket["name"], "secret_link" in ticket) for ticket in public_list] == [(public.name, False)]
    client.logout()
    assert hidden.secret not in client.get(event.get_absolute_url()).content.decode()


def test_each_ticket_gets_its_own_secret():
    event = EventFactory()
    assert len({TicketFactory(event=event).secret for _ in range(3)}) == 3
