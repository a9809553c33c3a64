"""The event dashboard: what is missing before publishing, the public address, counts, tickets, and only the
buttons the role may use."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory, SessionFactory, TrackFactory
from permissions.models import RolePermission
from permissions.tests.factories import EventRoleFactory
from tickets.tests.factories import OrderFactory, TicketFactory

pytestmark = pytest.mark.django_db


def dashboard(client, user, event):
    client.force_login(user)
    return client.get(f"/events/{event.pk}/")


def member(event, role, **kwargs):
    user = UserFactory()
    EventRoleFactory(user=user, event=event, role=role, **kwargs)
    return user


def test_dashboard_of_a_draft_lists_what_is_missing_with_the_way_to_it(client):
    event = EventFactory(name="Summit", description="")
    response = dashboard(client, event.created_by, event)
    page = response.content.decode()

    assert [(item.label, item.done, item.required) for item in response.context["checklist"]] == [
        ("Name, dates and time zone", True, True),
        ("At least one ticket", False, True),
        ("A description", False, False),
        ("A background image", False, False),
        ("Sessions in the schedule", False, False),
    ]
    assert f'<a class="small" href="/events/{event.pk}/wizard/tickets/">Add a ticket</a>' in page
    assert f'<a class="small" href="/events/{event.pk}/sessions/new/">Add the first session</a>' in page
    assert f'action="/events/{event.pk}/publish/"' not in page
    assert "You may:" not in page
    assert 'value="http://127.0.0.1:8000/e/' in page


def test_dashboard_of_a_draft_selling_paid_tickets_asks_how_buyers_pay(client):
    event = EventFactory(payment_instructions="")
    TicketFactory(event=event, type="donation")
    response = dashboard(client, event.created_by, event)
    labels = [(item.label, item.done, item.required) for item in response.context["checklist"]][:3]
    assert labels == [
        ("Name, dates and time zone", True, True),
        ("At least one ticket", True, True),
        ("How buyers of paid and donation tickets pay", False, True),
    ]
    assert f'<a class="small" href="/events/{event.pk}/edit/#payment">Add payment instructions</a>' in (
        response.content.decode()
    )
    assert response.context["ready_to_publish"] is False
    event.payment_instructions = "IBAN DE00 1234"
    event.save()
    response = dashboard(client, event.created_by, event)
    assert response.context["checklist"][2].done is True
    assert response.context["ready_to_publish"] is True


def test_dashboard_offers_publish_once_the_required_items_are_there(client):
    event = EventFactory()
    TicketFactory(event=event)
    response = dashboard(client, event.created_by, event)
    assert response.context["ready_to_publish"] is True
    assert f'action="/events/{event.pk}/publish/"' in response.content.decode()


def test_dashboard_of_a_published_event_has_no_checklist_and_offers_unpublish(client):
    event = EventFactory(state=Event.PUBLISHED)
    response = dashboard(client, event.created_by, event)
    assert "checklist" not in response.context
    assert f'action="/events/{event.pk}/unpublish/"' in response.content.decode()


def test_dashboard_counts_each_service_and_names_microlocations_rooms(client):
    event = EventFactory()
    SessionFactory.create_batch(3, event=event)
    TrackFactory(event=event)
    response = dashboard(client, event.created_by, event)
    assert [(s["label"], s["count"], s["view_only"]) for s in response.context["services"]] == [
        ("Tracks", 1, False),
        ("Sessions", 3, False),
        ("Speakers", 0, False),
        ("Sponsors", 0, False),
        ("Rooms", 0, False),
    ]
    assert response.context["ticket_operations"] == ["create", "read", "update", "delete"]


def test_dashboard_counts_only_the_tracks_a_limited_role_reaches(client):
    event = EventFactory()
    mine, other = TrackFactory(event=event), TrackFactory(event=event)
    SessionFactory(event=event, track=mine)
    SessionFactory(event=event, track=other)
    dave = member(event, "track_organizer", tracks=[mine])
    response = dashboard(client, dave, event)
    assert [(s["label"], s["count"], s["view_only"]) for s in response.context["services"]] == [("Tracks", 1, False)]


def test_dashboard_for_moderator_shows_only_what_the_matrix_allows(client):
    event = EventFactory(state=Event.PUBLISHED)
    response = dashboard(client, member(event, "moderator"), event)
    page = response.content.decode()
    assert [(s["label"], s["view_only"]) for s in response.context["services"]] == [("Tracks", True)]
    assert response.context["can_read_tickets"] is False
    assert response.context["can_edit_event"] is False
    assert f'href="/events/{event.pk}/wizard/"' not in page
    assert 'id="event-state"' not in page
    assert "You can look, not change." in page
    assert "You are Moderator of this event." in page


def test_dashboard_shows_a_coorganizer_the_tickets_with_their_state_and_no_delete(client):
    event = EventFactory(state=Event.PUBLISHED)
    now = timezone.now()
    TicketFactory(event=event, name="Open", position=0)
    TicketFactory(event=event, name="Later", paid=True, sales_starts_at=now + timedelta(days=3), position=1)
    TicketFactory(event=event, name="Past", sales_starts_at=now - timedelta(days=3), sales_ends_at=now, position=2)
    TicketFactory(event=event, name="Secret", hidden=True, position=3)
    response = dashboard(client, member(event, "coorganizer"), event)
    page = response.content.decode()
    assert [(t.name, t.state_label) for t in response.context["tickets"]] == [
        ("Open", "On sale"),
        ("Later", "Sales not started"),
        ("Past", "Sales ended"),
        ("Secret", "Hidden"),
    ]
    assert f'action="/events/{event.pk}/unpublish/"' in page
    assert f'action="/events/{event.pk}/delete/"' not in page


@pytest.mark.parametrize("role", ["organizer", "moderator"])  # with and without the orders' numbers
def test_dashboard_says_sold_out_as_the_public_page_does(client, role):
    """Finding (a browser walk): a ticket with nothing left read "On sale" beside "Left 0" on the dashboard,
    while the public page said "Sold out"."""
    event = EventFactory(state=Event.PUBLISHED)
    gone = TicketFactory(event=event, name="Gone", quantity=2, max_order=2, position=0)
    pairs = TicketFactory(event=event, name="Pairs", quantity=3, min_order=2, max_order=2, position=1)
    TicketFactory(event=event, name="Plenty", position=2)
    OrderFactory(event=event, tickets=[gone, gone, pairs, pairs])
    # A moderator the super admin lets read tickets, not orders.
    RolePermission.objects.filter(role__name="moderator", service__name="ticket").update(can_read=True)
    user = event.created_by if role == "organizer" else member(event, role)

    response = dashboard(client, user, event)

    assert [(t.name, t.state_label) for t in response.context["tickets"]] == [
        ("Gone", "Sold out"),
        ("Pairs", "Sold out"),  # one left, and nobody may buy fewer than two
        ("Plenty", "On sale"),
    ]
    assert ("revenue" in response.context) is (role == "organizer")


def test_dashboard_tickets_of_a_draft_go_on_sale_once_published(client):
    event = EventFactory()
    TicketFactory(event=event, name="Community")
    response = dashboard(client, event.created_by, event)
    assert [(t.name, t.state_label) for t in response.context["tickets"]] == [("Community", "On sale once published")]


@pytest.mark.parametrize("tickets", [1, 3])
def test_dashboard_queries(client, django_assert_num_queries, tickets):
    event = EventFactory()
    TicketFactory.create_batch(tickets, event=event)
    client.force_login(event.created_by)
    # user (the session comes from the cache), the event with the user's permissions (one query), the counts
    # of every service (one union), the tickets with their sales, whether publishing lacks anything (the
    # service's rule), the unread badge
    with django_assert_num_queries(6):
        assert client.get(f"/events/{event.pk}/").status_code == 200


def test_dashboard_offers_a_coorganizer_no_button_to_add_the_first_ticket(client):
    event = EventFactory()
    page = dashboard(client, member(event, "coorganizer"), event).content.decode()
    assert "Add the first ticket" not in page
    assert "No tickets yet. Your role cannot add tickets: an organizer of this event adds them." in page
    assert "An organizer of this event adds tickets." in page
