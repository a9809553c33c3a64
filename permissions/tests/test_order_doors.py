"""The service "order" at every door: the API, the organizer pages and the admin ask the same matrix cells.

Orders need more than the generic door cases give (a published event to sell
in, a ticket, an order in the state each operation needs), so they have their
own table here, read from the README's matrix like the others.
"""

import pytest

from core.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from permissions.names import CREATE, DELETE, READ, UPDATE
from permissions.tests.doors import README_CELLS, denial_status, member_of
from tickets.models import Order
from tickets.tests.factories import OrderFactory, TicketFactory

ORDER_CELLS = [cell for cell in README_CELLS if cell[1] == "order"]
ALLOWED = {READ: 200, CREATE: 201, UPDATE: 200, DELETE: 204}


@pytest.fixture
def shop():
    """A published event with a ticket, a pending order (to pay) and a cancelled one (to delete)."""
    event = EventFactory(state=Event.PUBLISHED)
    ticket = TicketFactory(event=event, paid=True)
    pending = OrderFactory(event=event, pending=True, tickets=[ticket])
    cancelled = OrderFactory(event=event, status=Order.CANCELLED, tickets=[ticket])
    return event, ticket, pending, cancelled


def api_call(api, operation, shop):
    event, ticket, pending, cancelled = shop
    base = f"/api/v1/events/{event.pk}/orders/"
    if operation == READ:
        return api.get(base)
    if operation == CREATE:
        body = {"name": "Ann", "email": "ann@example.com", "positions": [{"ticket": ticket.pk, "attendee_name": "Ann"}]}
        return api.post(base, body, format="json")
    if operation == UPDATE:
        return api.patch(f"{base}{pending.pk}/", {"status": "paid"}, format="json")
    return api.delete(f"{base}{cancelled.pk}/")


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "service", "operation", "allowed"), ORDER_CELLS)
def test_api_orders_follow_the_matrix(api_for, shop, role, service, operation, allowed):
    event, _ticket, pending, cancelled = shop
    member = member_of(event, role)
    before = sorted(Order.objects.values_list("pk", "status"))

    response = api_call(api_for(member), operation, shop)

    assert response.status_code == (ALLOWED[operation] if allowed else denial_status(role, service, operation))
    after = sorted(Order.objects.values_list("pk", "status"))
    if not allowed or operation == READ:
        assert after == before
    elif operation == CREATE:
        assert len(after) == len(before) + 1
    elif operation == UPDATE:
        assert Order.objects.get(pk=pending.pk).status == Order.PAID
    else:
        assert not Order.objects.filter(pk=cancelled.pk).exists()


def html_calls(client, operation, shop):
    """Return the status codes of every organizer page of the operation (GET pages, then the POST that acts)."""
    event, _ticket, pending, cancelled = shop
    base = f"/events/{event.pk}/orders/"
    if operation == READ:
        return [client.get(url).status_code for url in (base, f"{base}{pending.pk}/", f"{base}attendees.csv")]
    if operation == UPDATE:
        return [
            client.get(f"{base}{pending.pk}/cancel/").status_code,
            client.post(f"{base}{pending.pk}/resend/").status_code,
            client.post(f"{base}{pending.pk}/mark-paid/").status_code,
        ]
    return [
        client.get(f"{base}{cancelled.pk}/delete/").status_code,
        client.post(f"{base}{cancelled.pk}/delete/").status_code,
    ]


HTML_ALLOWED = {READ: [200, 200, 200], UPDATE: [200, 302, 302], DELETE: [200, 302]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "service", "operation", "allowed"),
    # Orders are created by buyers at the public checkout (and through the API): no organizer page creates one.
    [cell for cell in ORDER_CELLS if cell[2] != CREATE],
)
def test_html_order_pages_follow_the_matrix(client, shop, role, service, operation, allowed):
    event, _ticket, pending, cancelled = shop
    client.force_login(member_of(event, role))
    statuses = html_calls(client, operation, shop)
    expected = HTML_ALLOWED[operation] if allowed else [403] * len(HTML_ALLOWED[operation])
    assert statuses == expected
    assert Order.objects.get(pk=pending.pk).status == (Order.PAID if allowed and operation == UPDATE else Order.PENDING)
    assert Order.objects.filter(pk=cancelled.pk).exists() is not (allowed and operation == DELETE)


@pytest.mark.django_db
def test_order_pages_send_the_anonymous_to_login_and_strangers_to_a_404(client, shop):
    event, _ticket, pending, _cancelled = shop
    url = f"/events/{event.pk}/orders/{pending.pk}/"
    assert client.get(url)["Location"] == f"/accounts/login/?next={url}"
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403  # a published event: seen, but its orders are not for strangers
    draft = EventFactory()
    assert client.get(f"/events/{draft.pk}/orders/").status_code == 404


@pytest.mark.django_db
def test_an_order_of_another_event_is_a_404_on_the_organizer_pages(client, shop):
    event, *_ = shop
    foreign = OrderFactory(event=EventFactory(state=Event.PUBLISHED))
    client.force_login(event.created_by)
    assert client.get(f"/events/{event.pk}/orders/{foreign.pk}/").status_code == 404
    assert client.post(f"/events/{event.pk}/orders/{foreign.pk}/mark-paid/").status_code == 404


@pytest.mark.django_db
def test_admin_shows_orders_read_only_even_to_the_super_admin(client, shop):
    _event, _ticket, pending, _cancelled = shop
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/tickets/order/").status_code == 200
    assert client.get(f"/admin/tickets/order/{pending.pk}/change/").status_code == 200
    assert client.get("/admin/tickets/order/add/").status_code == 403
    assert client.post(f"/admin/tickets/order/{pending.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Order.objects.get(pk=pending.pk).status == Order.PENDING
