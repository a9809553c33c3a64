"""An event whose tickets were ordered is not deleted, through any door; it says what to do instead.

Finding (an attacker's probe): deleting an event deleted its orders with it, paid ones included: the buyers'
order pages and QR codes answered 404 and the books lost the revenue, after one click of the dashboard.
"""

import pytest

from core.tests.factories import UserFactory
from events.models import Event
from events.services import EventHasOrders, delete_event
from events.tests.factories import EventFactory
from tickets.models import Order, Ticket
from tickets.orders.services import cancel_order
from tickets.tests.factories import OrderFactory, TicketFactory

pytestmark = pytest.mark.django_db

REFUSAL = (
    "Summit has 2 orders, so it cannot be deleted: cancel and delete them first, "
    "or unpublish the event to take it off the site."
)


@pytest.fixture
def event():
    """An event with a ticket, ordered twice: one order paid, one cancelled."""
    event = EventFactory(name="Summit")
    ticket = TicketFactory(event=event, name="Regular")
    OrderFactory(event=event, tickets=[ticket])
    OrderFactory(event=event, tickets=[ticket], status=Order.CANCELLED)
    return event


def still_there(event):
    return (Event.objects.filter(pk=event.pk).exists(), Order.objects.filter(event=event).count())


def test_the_service_refuses_and_keeps_everything(event):
    with pytest.raises(EventHasOrders) as refused:
        delete_event(event=event, by=event.created_by)

    assert refused.value.messages == [REFUSAL]
    assert still_there(event) == (True, 2)
    assert Ticket.objects.filter(event=event).count() == 1


def test_the_delete_page_says_why_instead_of_offering_the_button(client, event):
    client.force_login(event.created_by)

    page = client.get(f"/events/{event.pk}/delete/").content.decode()
    assert REFUSAL in page
    assert f'href="/events/{event.pk}/orders/"' in page
    assert 'name="confirmed"' not in page

    sent = client.post(f"/events/{event.pk}/delete/", {"confirmed": "1"})
    assert sent.status_code == 409
    assert REFUSAL in sent.content.decode()
    assert still_there(event) == (True, 2)


def test_the_api_answers_409_with_the_reason(api_for, event):
    response = api_for(event.created_by).delete(f"/api/v1/events/{event.pk}/")

    assert (response.status_code, response.json()) == (409, {"detail": REFUSAL})
    assert still_there(event) == (True, 2)


def test_django_admin_refuses_for_its_orders(client, event):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = f"/admin/events/event/{event.pk}/delete/"

    page = client.get(url).content.decode()
    client.post(url, {"post": "yes"})

    # Orders are read-only in the admin, so Django names them as what it may not delete (and would protect them).
    assert "<h1>Cannot delete event</h1>" in page
    assert '<ul id="deleted-objects">\t<li>order</li></ul>' in page
    assert still_there(event) == (True, 2)


def test_once_its_orders_are_cancelled_and_deleted_the_event_goes(client, event):
    client.force_login(event.created_by)
    for order in Order.objects.filter(event=event, status=Order.PAID):
        cancel_order(order=order)
    for order in Order.objects.filter(event=event):
        client.post(f"/events/{event.pk}/orders/{order.pk}/delete/")
    assert still_there(event) == (True, 0)

    response = client.post(f"/events/{event.pk}/delete/", {"confirmed": "1"})

    assert (response.status_code, response["Location"]) == (302, "/")
    assert still_there(event) == (False, 0)
