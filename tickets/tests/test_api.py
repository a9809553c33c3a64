from datetime import UTC, datetime

import pytest

from core.tests.factories import UserFactory
from events.models import NO_PAYMENT_INSTRUCTIONS, Event
from events.tests.factories import EventFactory
from permissions.names import CREATE, DELETE, OPERATIONS, READ, ROLES, UPDATE
from permissions.tests.doors import README_GRANTS, denial_status
from permissions.tests.factories import EventRoleFactory
from tickets.models import Ticket

from .factories import TicketFactory

pytestmark = pytest.mark.django_db

NEW_TICKET = {"type": "paid", "name": "Regular", "price": "20.00", "quantity": 50, "max_order": 5}
ALLOWED_STATUS = {CREATE: 201, READ: 200, UPDATE: 200, DELETE: 204}


def tickets_url(event, ticket=None):
    base = f"/api/v1/events/{event.pk}/tickets/"
    return f"{base}{ticket.pk}/" if ticket else base


def member(event, role):
    user = UserFactory()
    EventRoleFactory(user=user, event=event, role=role)
    return user


def call(api, operation, event, ticket):
    if operation == CREATE:
        return api.post(tickets_url(event), NEW_TICKET, format="json")
    if operation == READ:
        return api.get(tickets_url(event, ticket))
    if operation == UPDATE:
        return api.patch(tickets_url(event, ticket), {"quantity": 70}, format="json")
    return api.delete(tickets_url(event, ticket))


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("role", ROLES)
def test_tickets_api_follows_the_matrix(api_for, role, operation):
    event = EventFactory()  # a draft: nothing is readable publicly
    ticket = TicketFactory(event=event, name="Existing", quantity=80)
    allowed = README_GRANTS[(role, "ticket", operation)]

    response = call(api_for(member(event, role)), operation, event, ticket)

    refused = denial_status(role, "ticket", operation, on_object=operation != CREATE)
    assert response.status_code == (ALLOWED_STATUS[operation] if allowed else refused)
    rows = list(Ticket.objects.filter(event=event).values_list("name", "quantity"))
    expected_rows = {
        CREATE: [("Existing", 80), ("Regular", 50)] if allowed else [("Existing", 80)],
        READ: [("Existing", 80)],
        UPDATE: [("Existing", 70)] if allowed else [("Existing", 80)],
        DELETE: [] if allowed else [("Existing", 80)],
    }[operation]
    assert sorted(rows) == expected_rows


def test_tickets_api_organizer_crud_round_trip(api_for):
    event = EventFactory()
    api = api_for(event.created_by)

    created = api.post(tickets_url(event), NEW_TICKET, format="json")
    ticket = Ticket.objects.get(pk=created.json()["id"])
    changed = api.patch(tickets_url(event, ticket), {"hidden": True}, format="json")
    deleted = api.delete(tickets_url(event, ticket))

    assert (created.status_code, changed.status_code, deleted.status_code) == (201, 200, 204)
    assert created.json()["price_label"] == "20.00"
    assert changed.json()["hidden"] is True
    assert Ticket.objects.filter(pk=ticket.pk).exists() is False


def test_tickets_api_coorganizer_reads_and_updates_but_cannot_create_or_delete(api_for):
    event = EventFactory()
    ticket = TicketFactory(event=event, name="Existing", quantity=80)
    api = api_for(member(event, "coorganizer"))

    statuses = [call(api, operation, event, ticket).status_code for operation in (READ, UPDATE, CREATE, DELETE)]

    assert statuses == [200, 200, 403, 403]
    # The update went through; the create and the delete changed nothing.
    assert list(Ticket.objects.filter(event=event).values_list("name", "quantity")) == [("Existing", 70)]


def test_tickets_api_moderator_cannot_read_tickets_of_a_draft(api_for):
    event = EventFactory()
    TicketFactory(event=event)
    assert api_for(member(event, "moderator")).get(tickets_url(event)).status_code == 403


def test_tickets_api_anonymous_sees_nothing_of_a_draft(api_for):
    event = EventFactory()
    TicketFactory(event=event)
    assert api_for(None).get(tickets_url(event)).status_code == 404


def published_with_tickets():
    event = EventFactory(state=Event.PUBLISHED)
    TicketFactory(event=event, name="Visible")
    hidden = TicketFactory(event=event, name="Secret", hidden=True)
    return event, hidden


def names(response):
    return [row["name"] for row in response.json()["results"]]


def test_tickets_api_hidden_tickets_only_for_those_who_may_read_tickets(api_for):
    event, _hidden = published_with_tickets()
    organizer = api_for(event.created_by).get(tickets_url(event))
    coorganizer = api_for(member(event, "coorganizer")).get(tickets_url(event))
    moderator = api_for(member(event, "moderator")).get(tickets_url(event))
    anonymous = api_for(None).get(tickets_url(event))
    assert [names(organizer), names(coorganizer), names(moderator), names(anonymous)] == [
        ["Visible", "Secret"],
        ["Visible", "Secret"],
        ["Visible"],
        ["Visible"],
    ]


def test_tickets_api_hidden_ticket_is_404_for_the_public(api_for):
    event, hidden = published_with_tickets()
    assert api_for(None).get(tickets_url(event, hidden)).status_code == 404
    assert api_for(event.created_by).get(tickets_url(event, hidden)).status_code == 200


def test_tickets_api_public_reader_cannot_write(api_for):
    event, _hidden = published_with_tickets()
    api = api_for(member(event, "moderator"))
    assert api.post(tickets_url(event), NEW_TICKET, format="json").status_code == 403


def test_tickets_api_list_etag_differs_between_members_and_the_public(api_for):
    event, _hidden = published_with_tickets()
    member_etag = api_for(event.created_by).get(tickets_url(event))["ETag"]
    public_etag = api_for(None).get(tickets_url(event))["ETag"]
    assert member_etag != public_etag
    # The public variant's ETag does not let a member's cache answer for them.
    response = api_for(event.created_by).get(tickets_url(event), HTTP_IF_NONE_MATCH=public_etag)
    assert response.status_code == 200


def test_tickets_api_if_none_match_gives_304_until_a_ticket_changes(api_for):
    event, _hidden = published_with_tickets()
    api = api_for(None)
    etag = api.get(tickets_url(event))["ETag"]

    unchanged = api.get(tickets_url(event), HTTP_IF_NONE_MATCH=etag)
    TicketFactory(event=event, name="Late addition")
    changed = api.get(tickets_url(event), HTTP_IF_NONE_MATCH=etag)

    assert (unchanged.status_code, unchanged.content, changed.status_code) == (304, b"", 200)
    assert names(changed) == ["Visible", "Late addition"]


def test_tickets_api_object_304_and_412(api_for):
    event = EventFactory()
    ticket = TicketFactory(event=event, name="Regular", quantity=80)
    api = api_for(event.created_by)
    etag = api.get(tickets_url(event, ticket))["ETag"]

    not_modified = api.get(tickets_url(event, ticket), HTTP_IF_NONE_MATCH=etag)
    updated = api.patch(tickets_url(event, ticket), {"quantity": 60}, format="json", HTTP_IF_MATCH=etag)
    stale = api.patch(tickets_url(event, ticket), {"quantity": 40}, format="json", HTTP_IF_MATCH=etag)
    stale_delete = api.delete(tickets_url(event, ticket), HTTP_IF_MATCH=etag)

    assert [not_modified.status_code, updated.status_code, stale.status_code, stale_delete.status_code] == [
        304,
        200,
        412,
        412,
    ]
    ticket.refresh_from_db()
    assert ticket.quantity == 60


@pytest.mark.parametrize("count", [1, 3])
def test_tickets_api_list_queries_do_not_grow_with_the_list(api_for, django_assert_num_queries, count):
    event = EventFactory()
    for index in range(count):
        TicketFactory(event=event, name=f"T{index}")
    api = api_for(event.created_by)
    # permissions and counters (ETag), page (no COUNT: one page).
    with django_assert_num_queries(2):
        response = api.get(tickets_url(event))
    assert len(response.json()["results"]) == count


def test_tickets_api_validation_errors_name_the_field(api_for):
    event = EventFactory()
    TicketFactory(event=event, name="Regular")
    api = api_for(event.created_by)

    zero = api.post(tickets_url(event), {**NEW_TICKET, "name": "Zero", "price": "0"}, format="json")
    duplicate = api.post(tickets_url(event), {**NEW_TICKET, "name": "REGULAR"}, format="json")
    too_many = api.post(tickets_url(event), {**NEW_TICKET, "name": "Big", "quantity": 2, "min_order": 3}, format="json")

    assert (zero.status_code, zero.json()) == (400, {"price": ["A paid ticket needs a price above 0."]})
    assert (duplicate.status_code, duplicate.json()) == (400, {"name": ["Another ticket of this event has this name."]})
    assert (too_many.status_code, too_many.json()) == (
        400,
        {"min_order": ["The minimum per order cannot exceed the quantity (2): nobody could buy this ticket."]},
    )


def test_tickets_api_a_published_event_sells_nothing_to_pay_for_without_payment_instructions(api_for):
    event = EventFactory(state=Event.PUBLISHED, payment_instructions="")
    api = api_for(event.created_by)
    paid = api.post(tickets_url(event), NEW_TICKET, format="json")
    assert (paid.status_code, paid.json()) == (400, {"type": [NO_PAYMENT_INSTRUCTIONS]})
    free = api.post(tickets_url(event), {"type": "free", "name": "Community", "quantity": 50}, format="json")
    assert free.status_code == 201
    made_paid = api.patch(tickets_url(event, Ticket.objects.get()), {"type": "donation"}, format="json")
    assert (made_paid.status_code, made_paid.json()) == (400, {"type": [NO_PAYMENT_INSTRUCTIONS]})
    Event.objects.filter(pk=event.pk).update(payment_instructions="IBAN DE00 1234")
    assert api.post(tickets_url(event), NEW_TICKET, format="json").status_code == 201


def test_tickets_api_sales_must_end_with_the_event(api_for):
    event = EventFactory(starts_at=datetime(2030, 5, 1, 9, tzinfo=UTC), ends_at=datetime(2030, 5, 2, 18, tzinfo=UTC))
    late = {**NEW_TICKET, "sales_ends_at": "2030-05-03T09:00:00Z"}
    response = api_for(event.created_by).post(tickets_url(event), late, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"sales_ends_at": ["Sales must end no later than the event ends (2030-05-02 18:00 UTC)."]},
    )


def test_tickets_api_new_tickets_go_last(api_for):
    event = EventFactory()
    TicketFactory(event=event, name="First", position=4)
    response = api_for(event.created_by).post(tickets_url(event), NEW_TICKET, format="json")
    assert response.json()["position"] == 5


def test_tickets_api_ticket_of_another_event_is_not_reachable(api_for):
    event = EventFactory()
    other = TicketFactory(name="Elsewhere")
    api = api_for(event.created_by)
    assert api.get(tickets_url(event, other)).status_code == 404
    assert api.delete(tickets_url(event, other)).status_code == 404
