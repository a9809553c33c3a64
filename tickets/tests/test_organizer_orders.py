"""The organizer's orders pages: find, look, mark paid, cancel (asked first), resend, delete, export; the dashboard."""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from core.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from permissions.tests.factories import EventRoleFactory
from tickets.models import Order

from .factories import OrderFactory, TicketFactory
from .formdata import ticket_formset_data, ticket_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return EventFactory(state=Event.PUBLISHED)


@pytest.fixture
def organizer(client, event):
    client.force_login(event.created_by)
    return client


def listed(response):
    return [order.code for order in response.context["orders"]]


@pytest.mark.parametrize("count", [1, 3])
def test_orders_page_costs_the_same_queries_for_one_or_three(organizer, event, count, django_assert_num_queries):
    ticket = TicketFactory(event=event)
    for _ in range(count):
        OrderFactory(event=event, tickets=[ticket])
    # user (the session comes from the cache), the event with the permissions, storing "expired" (keys, update),
    # count, page, tickets, badge
    with django_assert_num_queries(8):
        response = organizer.get(f"/events/{event.pk}/orders/")
    assert len(listed(response)) == count


def test_orders_page_searches_by_code_name_or_email_and_filters_by_status_and_ticket(organizer, event):
    regular, vip = TicketFactory(event=event, name="Regular"), TicketFactory(event=event, name="VIP")
    ann = OrderFactory(event=event, name="Ann Smith", email="ann@example.com", tickets=[regular])
    bob = OrderFactory(event=event, name="Bob", email="bob@example.org", status="cancelled", tickets=[vip])
    base = f"/events/{event.pk}/orders/"
    assert listed(organizer.get(base, {"q": ann.code.lower()})) == [ann.code]
    assert listed(organizer.get(base, {"q": "smith"})) == [ann.code]
    assert listed(organizer.get(base, {"q": "example.org"})) == [bob.code]
    assert listed(organizer.get(base, {"status": "cancelled"})) == [bob.code]
    assert listed(organizer.get(base, {"ticket": regular.pk})) == [ann.code]
    assert sorted(listed(organizer.get(base, {"status": "bogus", "ticket": "x"}))) == sorted([ann.code, bob.code])
    assert "No order matches." in organizer.get(base, {"q": "nobody"}).content.decode()


def test_orders_pages_keep_the_search_in_their_links(organizer, event):
    ticket = TicketFactory(event=event)
    for _ in range(51):
        OrderFactory(event=event, email="crowd@example.com", tickets=[ticket])
    response = organizer.get(f"/events/{event.pk}/orders/", {"q": "crowd"})
    assert len(listed(response)) == 50
    assert 'href="?q=crowd&amp;page=2"' in response.content.decode()


def test_order_detail_shows_positions_and_the_buyers_link(organizer, event):
    order = OrderFactory(event=event, tickets=[TicketFactory(event=event, name="Regular")])
    page = organizer.get(f"/events/{event.pk}/orders/{order.pk}/").content.decode()
    assert "Regular" in page
    assert f"/e/{event.slug}/orders/{order.code}/{order.secret}/" in page


def test_mark_paid_then_cancel_after_confirming(organizer, event, mailoutbox, django_capture_on_commit_callbacks):
    order = OrderFactory(event=event, pending=True, tickets=[TicketFactory(event=event, paid=True)])
    base = f"/events/{event.pk}/orders/{order.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = organizer.post(f"{base}mark-paid/")
    assert response["Location"] == base
    assert Order.objects.get(pk=order.pk).status == "paid"
    assert [mail.subject for mail in mailoutbox] == [f"Payment received: order {order.code} for {event.name}"]
    confirm = organizer.get(f"{base}cancel/")
    assert f'Cancel order <span class="font-monospace">{order.code}</span>?' in confirm.content.decode()
    assert Order.objects.get(pk=order.pk).status == "paid"
    organizer.post(f"{base}cancel/")
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    again = organizer.post(f"{base}cancel/", follow=True)
    assert f"Order {order.code} was cancelled already." in again.content.decode()


def test_resend_sends_the_email_again(organizer, event, mailoutbox, django_capture_on_commit_callbacks):
    order = OrderFactory(event=event, tickets=[TicketFactory(event=event)])
    with django_capture_on_commit_callbacks(execute=True):
        organizer.post(f"/events/{event.pk}/orders/{order.pk}/resend/")
    assert [(mail.to, mail.subject) for mail in mailoutbox] == [
        ([order.email], f"Your order {order.code} for {event.name}")
    ]


def test_paying_a_cancelled_order_is_refused_with_a_message(organizer, event):
    order = OrderFactory(event=event, status="cancelled")
    response = organizer.post(f"/events/{event.pk}/orders/{order.pk}/mark-paid/", follow=True)
    assert "A cancelled order cannot be marked paid." in response.content.decode()


def test_an_unknown_action_is_a_404(organizer, event):
    order = OrderFactory(event=event)
    assert organizer.post(f"/events/{event.pk}/orders/{order.pk}/refund/").status_code == 404


def test_delete_asks_and_removes_only_a_closed_order(organizer, event):
    active = OrderFactory(event=event)
    closed = OrderFactory(event=event, status="cancelled")
    assert "Yes, delete it" in organizer.get(f"/events/{event.pk}/orders/{closed.pk}/delete/").content.decode()
    refused = organizer.post(f"/events/{event.pk}/orders/{active.pk}/delete/", follow=True)
    assert "Cancel the order before deleting it." in refused.content.decode()
    organizer.post(f"/events/{event.pk}/orders/{closed.pk}/delete/")
    assert list(Order.objects.values_list("pk", flat=True)) == [active.pk]


def test_attendee_export_lists_the_positions_that_hold_tickets_safely(organizer, event):
    Event.objects.filter(pk=event.pk).update(timezone="America/New_York")
    event.refresh_from_db()
    ticket = TicketFactory(event=event, name="Regular", paid=True)
    paid = OrderFactory(event=event, name="=HYPERLINK(1)", email="ann@example.com", tickets=[ticket])
    paid.positions.update(attendee_name="+Ann")
    OrderFactory(event=event, status="cancelled", tickets=[ticket])
    with time_machine.travel(timezone.now() - timedelta(days=9)):
        OrderFactory(event=event, pending=True, tickets=[ticket])  # overdue: holds nothing
    response = organizer.get(f"/events/{event.pk}/orders/attendees.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "order",
        "status",
        "ticket",
        "attendee",
        "attendee email",
        "price",
        "buyer",
        "buyer email",
        f"ordered ({event.timezone})",
    ]
    # Finding (a browser walk): the time was UTC with microseconds (2026-12-03T11:46:42.253649+00:00) where the
    # pages showed 12:46 in the event's zone.
    ordered = paid.created_at.astimezone(ZoneInfo(event.timezone)).strftime("%Y-%m-%d %H:%M:%S")
    assert rows[1:] == [
        [paid.code, "paid", "Regular", "'+Ann", "", "25.00", "'=HYPERLINK(1)", "ann@example.com", ordered]
    ]


def test_dashboard_shows_sold_pending_left_and_revenue_per_ticket(organizer, event):
    regular = TicketFactory(event=event, name="Regular", paid=True, quantity=10)
    donation = TicketFactory(event=event, name="Support", donation=True, quantity=5)
    OrderFactory(event=event, tickets=[regular, regular, donation])
    OrderFactory(event=event, pending=True, tickets=[regular])
    OrderFactory(event=event, status="cancelled", tickets=[regular])
    response = organizer.get(f"/events/{event.pk}/")
    rows = [(t.name, t.sold, t.pending, t.left, t.revenue) for t in response.context["tickets"]]
    assert rows == [("Regular", 2, 1, 7, Decimal("50.00")), ("Support", 1, 0, 4, Decimal("0.00"))]
    assert response.context["revenue"] == Decimal("50.00")
    assert '<td class="fw-semibold" id="revenue">50.00 EUR</td>' in response.content.decode()


def test_dashboard_of_a_role_without_orders_shows_no_sales(client, event):
    moderator = UserFactory()
    EventRoleFactory(user=moderator, event=event, role="moderator")
    client.force_login(moderator)
    response = client.get(f"/events/{event.pk}/")
    page = response.content.decode()
    assert (
        "revenue" in response.context,
        'id="revenue"' in page,
        '<th scope="col" class="text-end">Sold</th>' in page,
    ) == (
        False,
        False,
        False,
    )


def test_a_sold_ticket_cannot_be_removed_at_any_door(organizer, event, api_for):
    ticket = TicketFactory(event=event, name="Regular")
    OrderFactory(event=event, tickets=[ticket])
    response = api_for(event.created_by).delete(f"/api/v1/events/{event.pk}/tickets/{ticket.pk}/")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This ticket has orders, so it cannot be deleted; hide it or end its sales instead."
    }
    data = ticket_formset_data([{**ticket_row(ticket), "DELETE": "on"}], initial=1, go="stay")
    page = organizer.post(f"/events/{event.pk}/wizard/tickets/", data)
    assert "Regular has orders, so it cannot be removed; hide it or end its sales instead." in page.content.decode()
    assert event.tickets.count() == 1


def test_a_refused_removal_shows_the_row_again_unmarked(organizer, event):
    """Finding (a browser walk): the page that said the ticket has orders kept its row hidden and marked for
    removal, so every later save was refused the same way and the row could not be seen to undo it."""
    sold, other = TicketFactory(event=event, name="Regular"), TicketFactory(event=event, name="Spare")
    OrderFactory(event=event, tickets=[sold])
    rows = [{**ticket_row(sold), "DELETE": "on"}, {**ticket_row(other), "DELETE": "on"}]

    page = organizer.post(f"/events/{event.pk}/wizard/tickets/", ticket_formset_data(rows, initial=2, go="stay"))

    html = page.content.decode()
    row = re.search(r'<tbody class="ticket" data-index="0"[^>]*>', html).group(0)
    assert " hidden" not in row
    assert '<input type="checkbox" name="tickets-0-DELETE" id="id_tickets-0-DELETE">' in html
    # The other row, removable, stays as the organizer left it (hidden, marked) until the refusal is dealt with.
    assert " hidden" in re.search(r'<tbody class="ticket" data-index="1"[^>]*>', html).group(0)
    assert 'name="tickets-1-DELETE" id="id_tickets-1-DELETE" checked' in html
    assert event.tickets.count() == 2


def test_the_edit_page_sets_payment_instructions_and_days(organizer, event):
    response = organizer.post(
        f"/events/{event.pk}/edit/",
        {
            "name": event.name,
            "starts_at": "2030-01-01T09:00",
            "ends_at": "2030-01-02T18:00",
            "timezone": "UTC",
            "payment_instructions": "IBAN DE00 1234",
            "payment_days": "7",
        },
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.payment_instructions, event.payment_days) == ("IBAN DE00 1234", 7)
    organizer.post(
        f"/events/{event.pk}/edit/",
        {"name": event.name, "starts_at": "2030-01-01T09:00", "ends_at": "2030-01-02T18:00", "timezone": "UTC"},
    )
    event.refresh_from_db()
    assert event.payment_days == 7  # left out: kept


def test_the_edit_page_says_it_saved_and_returns_to_the_review_step_it_came_from(client):
    """Finding (a browser walk): saving the details said nothing, and from the review step's "Add payment
    instructions" it landed on the dashboard instead of back where publishing waits."""
    draft = EventFactory(name="Draft Conf")
    TicketFactory(event=draft, name="Paid", type="paid", price=Decimal("5"))
    client.force_login(draft.created_by)
    details = {"name": draft.name, "starts_at": "2030-01-01T09:00", "ends_at": "2030-01-02T18:00", "timezone": "UTC"}

    review = client.get(f"/events/{draft.pk}/wizard/review/").content.decode()
    back = client.post(
        f"/events/{draft.pk}/edit/?next=review", {**details, "payment_instructions": "IBAN"}, follow=True
    )
    plain = client.post(f"/events/{draft.pk}/edit/?next=https://evil.example.org/", details, follow=True)

    assert f'href="/events/{draft.pk}/edit/?next=review#payment"' in review
    assert back.redirect_chain[-1][0] == f"/events/{draft.pk}/wizard/review/"
    assert plain.redirect_chain[-1][0] == f"/events/{draft.pk}/"
    for response in (back, plain):
        assert [str(message) for message in response.context["messages"]] == ["Draft Conf was saved."]
