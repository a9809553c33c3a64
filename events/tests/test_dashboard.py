import pytest

from events.models import Event
from events.tests.factories import EventFactory
from permissions.tests.factories import EventRoleFactory


@pytest.mark.django_db
def test_dashboard_of_draft_offers_setup_and_lists_allowed_services(client):
    event = EventFactory()
    client.force_login(event.created_by)
    response = client.get(f"/events/{event.pk}/")
    assert response.status_code == 200
    assert [service["label"] for service in response.context["services"]] == [
        "Tracks",
        "Sessions",
        "Speakers",
        "Sponsors",
        "Microlocations",
    ]
    assert response.context["ticket_operations"] == ["create", "read", "update", "delete"]
    assert f'href="/events/{event.pk}/wizard/"' in response.content.decode()


@pytest.mark.django_db
def test_dashboard_for_moderator_shows_only_what_the_matrix_allows(client):
    event = EventFactory(state=Event.PUBLISHED)
    moderator = EventRoleFactory(event=event, role="moderator").user
    client.force_login(moderator)
    response = client.get(f"/events/{event.pk}/")
    assert [(s["label"], s["operations"]) for s in response.context["services"]] == [("Tracks", ["read"])]
    assert response.context["can_read_tickets"] is False
    assert response.context["can_edit_event"] is False
    assert f'href="/events/{event.pk}/wizard/"' not in response.content.decode()


@pytest.mark.django_db
def test_dashboard_queries(client, django_assert_num_queries):
    event = EventFactory()
    client.force_login(event.created_by)
    # user (the session comes from the cache), the event with the user's permissions (one query), unread badge,
    # tickets with their sales
    with django_assert_num_queries(4):
        assert client.get(f"/events/{event.pk}/").status_code == 200
