"""The orders API: one service places orders; 409 when sold out, field errors by name, ETags, idempotency, filters."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.models import IdempotencyKey
from core.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from permissions.tests.factories import EventRoleFactory
from tickets.models import Order, OrderPosition

from .factories import OrderFactory, TicketFactory

pytestmark = pytest.mark.django_db

PRICE = "Prices come from the event's tickets; send a price only for a donation ticket's position."


@pytest.fixture
def event():
    return EventFactory(state=Event.PUBLISHED)


@pytest.fixture
def api(api_for, event):
    return api_for(event.created_by)


def url(event, order=None):
    base = f"/api/v1/events/{event.pk}/orders/"
    return f"{base}{order.pk}/" if order is not None else base


def body(*positions, **extra):
    return {"name": "Ann Buyer", "email": "ann@example.com", "positions": list(positions), **extra}


def test_post_places_an_order_with_server_prices(api, event):
    paid = TicketFactory(event=event, paid=True)
    donation = TicketFactory(event=event, donation=True)
    response = api.post(
        url(event),
        body(
            {"ticket": paid.pk, "attendee_name": "Ann"},
            {"ticket": donation.pk, "attendee_name": "Bob", "attendee_email": "bob@example.com", "price": "8.00"},
        ),
        format="json",
    )
    assert response.status_code == 201
    order = Order.objects.get()
    data = response.json()
    assert (data["id"], data["code"], data["status"], data["total"]) == (order.pk, order.code, "pending", "33.00")
    assert [(p["ticket"], p["price"], p["attendee_name"]) for p in data["positions"]] == [
        (paid.pk, "25.00", "Ann"),
        (donation.pk, "8.00", "Bob"),
    ]
    assert data["url"] == f"http://127.0.0.1:8000/e/{event.slug}/orders/{order.code}/{order.secret}/"
    assert response["ETag"] == api.get(url(event, order))["ETag"]
    assert order.placed_by == event.created_by


def test_post_sells_hidden_tickets_to_the_organizer(api, event):
    hidden = TicketFactory(event=event, hidden=True)
    response = api.post(url(event), body({"ticket": hidden.pk, "attendee_name": "Ann"}), format="json")
    assert response.status_code == 201


def test_post_answers_409_naming_the_ticket_when_stock_is_short(api, event):
    ticket = TicketFactory(event=event, quantity=1, max_order=2)
    response = api.post(
        url(event),
        body({"ticket": ticket.pk, "attendee_name": "Ann"}, {"ticket": ticket.pk, "attendee_name": "Bob"}),
        format="json",
    )
    assert response.status_code == 409
    assert response.json() == {
        "code": "sold_out",
        "ticket": ticket.pk,
        "left": 1,
        "detail": f"Only 1 of {ticket.name} left; choose fewer.",
    }
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("make", "errors"),
    [
        (lambda t, d, o: body({"ticket": t.pk, "attendee_name": "A"}, total="0.00"), {"total": [PRICE]}),
        (lambda t, d, o: body({"ticket": t.pk, "attendee_name": "A"}, price="1"), {"price": [PRICE]}),
        (
            lambda t, d, o: body({"ticket": t.pk, "attendee_name": "A", "price": "1.00"}),
            {"positions": {"0": {"price": ["Regular has a fixed price: send no price (prices come from the event)."]}}},
        ),
        (
            lambda t, d, o: body({"ticket": d.pk, "attendee_name": "A", "price": "4.99"}),
            {"positions": {"0": {"price": ["The minimum for Support is 5.00."]}}},
        ),
        (
            lambda t, d, o: body({"ticket": d.pk, "attendee_name": "A", "price": "lots"}),
            {"positions": {"0": {"price": ["A valid number is required."]}}},
        ),
        (lambda t, d, o: body(), {"positions": {"non_field_errors": ["This list may not be empty."]}}),
        (
            lambda t, d, o: body({"ticket": o.pk, "attendee_name": "A"}),
            {"positions": {"0": {"ticket": ["This ticket is not available."]}}},
        ),
        (
            lambda t, d, o: body({"ticket": t.pk, "attendee_name": "A", "seat": "1A"}),
            {"positions": {"0": {"seat": ["Unknown field."]}}},
        ),
        (
            lambda t, d, o: {"positions": [{"ticket": t.pk, "attendee_name": "A"}]},
            {"name": ["This field is required."], "email": ["This field is required."]},
        ),
    ],
    ids=[
        "total-sent",
        "price-sent",
        "price-for-paid-ticket",
        "donation-below-minimum",
        "donation-not-a-number",
        "zero-positions",
        "foreign-ticket",
        "unknown-position-field",
        "no-buyer",
    ],
)
def test_post_refuses_bad_input_by_name_and_saves_nothing(api, event, make, errors):
    paid = TicketFactory(event=event, paid=True, name="Regular")
    donation = TicketFactory(event=event, donation=True, name="Support")
    foreign = TicketFactory()
    response = api.post(url(event), make(paid, donation, foreign), format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert (Order.objects.count(), OrderPosition.objects.count()) == (0, 0)


def test_post_to_a_draft_event_is_refused(api_for):
    draft = EventFactory()
    ticket = TicketFactory(event=draft)
    response = api_for(draft.created_by).post(
        url(draft), body({"ticket": ticket.pk, "attendee_name": "A"}), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Tickets of this event are not on sale: it is not published."]}


def test_an_idempotency_key_makes_a_repeated_post_return_the_first_order(api, event):
    ticket = TicketFactory(event=event, quantity=1, max_order=1)
    payload = body({"ticket": ticket.pk, "attendee_name": "Ann"})
    first = api.post(url(event), payload, format="json", HTTP_IDEMPOTENCY_KEY="order-42")
    again = api.post(url(event), payload, format="json", HTTP_IDEMPOTENCY_KEY="order-42")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert (again["ETag"], again["Idempotent-Replayed"]) == (first["ETag"], "true")
    assert Order.objects.count() == 1
    other = api.post(
        url(event), body({"ticket": ticket.pk, "attendee_name": "Bob"}), format="json", HTTP_IDEMPOTENCY_KEY="order-42"
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    # Without a key, the same body is a new order (here: sold out).
    assert api.post(url(event), payload, format="json").status_code == 409


def test_an_idempotency_key_is_per_user_and_errors_are_not_remembered(api_for, event):
    ticket = TicketFactory(event=event, quantity=1, max_order=1)
    colleague = UserFactory()
    EventRoleFactory(user=colleague, event=event, role="organizer")
    payload = body({"ticket": ticket.pk, "attendee_name": "Ann"})
    bad = api_for(event.created_by).post(url(event), body(), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 400
    assert IdempotencyKey.objects.count() == 0
    assert (
        api_for(event.created_by).post(url(event), payload, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    )
    assert api_for(colleague).post(url(event), payload, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 409


def test_an_idempotency_key_is_forgotten_after_24_hours(api, event):
    ticket = TicketFactory(event=event)
    payload = body({"ticket": ticket.pk, "attendee_name": "Ann"})
    with time_machine.travel(timezone.now() - timedelta(hours=25)):
        api.post(url(event), payload, format="json", HTTP_IDEMPOTENCY_KEY="daily")
    assert api.post(url(event), payload, format="json", HTTP_IDEMPOTENCY_KEY="daily").status_code == 201
    assert Order.objects.count() == 2


def test_a_malformed_idempotency_key_is_a_400(api, event):
    ticket = TicketFactory(event=event)
    response = api.post(
        url(event), body({"ticket": ticket.pk, "attendee_name": "A"}), format="json", HTTP_IDEMPOTENCY_KEY="x" * 256
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"


@pytest.mark.parametrize("count", [1, 3])
def test_list_costs_the_same_queries_for_one_or_three_orders(api, event, count, django_assert_num_queries):
    ticket = TicketFactory(event=event)
    for _ in range(count):
        OrderFactory(event=event, tickets=[ticket, ticket])
    # the event with the permissions and counters, storing "expired" on overdue orders (their counter keys,
    # the update: none is overdue, so the list's counter read with the event holds), page, positions (no COUNT)
    with django_assert_num_queries(5):
        response = api.get(url(event))
    assert response.json()["count"] == count
    assert [len(order["positions"]) for order in response.json()["results"]] == [2] * count


def test_list_answers_304_until_an_order_changes(api, event):
    order = OrderFactory(event=event, pending=True, tickets=[TicketFactory(event=event, paid=True)])
    etag = api.get(url(event))["ETag"]
    assert api.get(url(event), HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert api.patch(url(event, order), {"status": "paid"}, format="json").status_code == 200
    assert api.get(url(event), HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_read_stores_expired_on_overdue_orders_before_the_etag(api, event):
    ticket = TicketFactory(event=event, paid=True)
    with time_machine.travel(timezone.now() - timedelta(days=5)):
        order = OrderFactory(event=event, pending=True, tickets=[ticket])
        etag = api.get(url(event))["ETag"]
    response = api.get(url(event), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "expired"
    assert Order.objects.get(pk=order.pk).status == "expired"


def test_patch_marks_paid_and_cancels_with_if_match(api, event):
    ticket = TicketFactory(event=event, paid=True, quantity=1)
    order = OrderFactory(event=event, pending=True, tickets=[ticket])
    etag = api.get(url(event, order))["ETag"]
    paid = api.patch(url(event, order), {"status": "paid"}, format="json", HTTP_IF_MATCH=etag)
    assert paid.status_code == 200
    assert (paid.json()["status"], paid.json()["positions"][0]["ticket"]) == ("paid", ticket.pk)
    assert api.patch(url(event, order), {"status": "cancelled"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    cancelled = api.patch(url(event, order), {"status": "cancelled"}, format="json", HTTP_IF_MATCH=paid["ETag"])
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    refused = api.patch(url(event, order), {"status": "paid"}, format="json")
    assert refused.status_code == 409
    assert refused.json() == {"detail": "A cancelled order cannot be marked paid."}


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"status": "pending"}, {"status": ['"pending" is not a valid choice.']}),
        ({"status": "paid", "total": "0"}, {"total": [PRICE]}),
        ({"name": "Eve"}, {"name": ["Unknown field."]}),
        ({}, {"status": ["This field is required."]}),
    ],
)
def test_patch_refuses_other_changes(api, event, payload, errors):
    order = OrderFactory(event=event, pending=True, tickets=[TicketFactory(event=event, paid=True)])
    response = api.patch(url(event, order), payload, format="json")
    assert (response.status_code, response.json()) == (400, errors)
    assert Order.objects.get(pk=order.pk).status == "pending"


def test_patch_paid_on_an_expired_order_is_409_sold_out_when_its_tickets_are_gone(api, event):
    ticket = TicketFactory(event=event, paid=True, quantity=1)
    with time_machine.travel(timezone.now() - timedelta(days=5)):
        late = OrderFactory(event=event, pending=True, tickets=[ticket])
    OrderFactory(event=event, tickets=[ticket])
    response = api.patch(url(event, late), {"status": "paid"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "sold_out"


def test_put_is_not_offered(api, event):
    order = OrderFactory(event=event)
    assert api.put(url(event, order), {"status": "paid"}, format="json").status_code == 405


def test_delete_removes_only_closed_orders(api, event):
    ticket = TicketFactory(event=event)
    active, cancelled = OrderFactory(event=event, tickets=[ticket]), OrderFactory(event=event, status="cancelled")
    response = api.delete(url(event, active))
    assert (response.status_code, response.json()) == (409, {"detail": "Cancel the order before deleting it."})
    assert api.delete(url(event, cancelled)).status_code == 204
    assert list(Order.objects.values_list("pk", flat=True)) == [active.pk]


def test_filters_by_status_ticket_email_code_and_modified_since(api, event):
    regular, vip = TicketFactory(event=event), TicketFactory(event=event)
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        old = OrderFactory(event=event, email="old@example.com", tickets=[regular])
    new = OrderFactory(event=event, email="New@Example.com", status="cancelled", tickets=[vip])

    def ids(**params):
        return [order["id"] for order in api.get(url(event), params).json()["results"]]

    assert ids(status="cancelled") == [new.pk]
    assert ids(ticket=regular.pk) == [old.pk]
    assert ids(ticket=2**70) == []
    assert ids(email="new@example.com") == [new.pk]
    assert ids(code=old.code.lower()) == [old.pk]
    assert ids(modified_since=(timezone.now() - timedelta(days=1)).isoformat()) == [new.pk]
    assert ids(modified_since="1416-04-07T06:11:19+23:43") == [new.pk, old.pk]  # an offset PostgreSQL refuses
    assert api.get(url(event), {"modified_since": "0001-01-01T00:00:00+01:00"}).status_code == 400
    assert api.get(url(event), {"status": "lost"}).status_code == 400


def test_orders_are_never_public(api_for, event):
    order = OrderFactory(event=event)
    assert api_for(None).get(url(event)).status_code == 401
    assert api_for(UserFactory()).get(url(event)).status_code == 403
    assert api_for(UserFactory()).get(url(event, order)).status_code == 404


def test_an_order_of_another_event_is_not_reachable(api, event):
    other = OrderFactory(event=EventFactory(created_by=event.created_by))
    assert api.get(url(event, other)).status_code == 404
    assert api.patch(url(event, other), {"status": "paid"}, format="json").status_code == 404


def test_order_totals_are_exact_decimals(api, event):
    donation = TicketFactory(event=event, type="donation", min_price=None, max_order=3)
    positions = [{"ticket": donation.pk, "attendee_name": "A", "price": "0.10"}] * 3
    response = api.post(url(event), body(*positions), format="json")
    assert response.json()["total"] == "0.30"
    assert Order.objects.get().total == Decimal("0.30")
