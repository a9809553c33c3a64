"""The organizer pages ask the same matrix as the API."""

import pytest

from core.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from permissions.names import CREATE, DELETE, READ, ROLES, UPDATE, default_grants
from permissions.tests.doors import MATRIX_CELLS, SERVICE_CASES, door_case
from permissions.tests.factories import EventRoleFactory


def page(event, segment, obj, operation):
    base = f"/events/{event.pk}/{segment}/"
    return {
        READ: base,
        CREATE: f"{base}new/",
        UPDATE: f"{base}{obj.pk}/edit/",
        DELETE: f"{base}{obj.pk}/delete/",
    }[operation]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "service", "operation", "allowed"), MATRIX_CELLS)
def test_html_page_follows_matrix(client, role, service, operation, allowed):
    segment = SERVICE_CASES[service][0]
    event, obj, member = door_case(service, role)
    client.force_login(member)
    assert client.get(page(event, segment, obj, operation)).status_code == (200 if allowed else 403)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "allowed"), [(role, default_grants(role, "event")[2]) for role in ROLES])
def test_html_event_edit_follows_matrix(client, role, allowed):
    event = EventFactory()
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=role)
    client.force_login(member)
    response = client.post(
        f"/events/{event.pk}/edit/",
        {
            "name": "Renamed",
            "starts_at": "2030-01-01T09:00",
            "ends_at": "2030-01-02T18:00",
            "timezone": "Europe/Berlin",
        },
    )
    assert response.status_code == (302 if allowed else 403)
    assert Event.objects.get(pk=event.pk).name == ("Renamed" if allowed else event.name)


@pytest.mark.django_db
def test_html_stranger_gets_404_and_anonymous_goes_to_login(client):
    event = EventFactory()
    client.force_login(UserFactory())
    assert client.get(f"/events/{event.pk}/").status_code == 404
    assert client.get(f"/events/{event.pk}/tracks/").status_code == 404
    client.logout()
    response = client.get(f"/events/{event.pk}/tracks/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/events/{event.pk}/tracks/"


@pytest.mark.django_db
def test_html_delete_by_coorganizer_is_refused_and_keeps_object(client):
    _segment, factory, _payload = SERVICE_CASES["speaker"]
    event = EventFactory()
    speaker = factory(event=event)
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role="coorganizer")
    client.force_login(member)
    assert client.post(f"/events/{event.pk}/speakers/{speaker.pk}/delete/").status_code == 403
    assert type(speaker).objects.filter(pk=speaker.pk).count() == 1


@pytest.mark.django_db
def test_html_unknown_service_page_is_404(client):
    event = EventFactory()
    client.force_login(event.created_by)
    assert client.get(f"/events/{event.pk}/widgets/").status_code == 404
