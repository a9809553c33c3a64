"""The organizer pages ask the same matrix as the API: every cell acts and the rows say whether it happened.

The expected answers come from the README's table, copied into permissions/tests/doors.py.
"""

import pytest

from core.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory
from permissions.names import CREATE, DELETE, READ, UPDATE
from permissions.tests.doors import MATRIX_CELLS, README_GRANTS, SERVICE_CASES, door_case, form_data, label_of
from permissions.tests.factories import EventRoleFactory


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "service", "operation", "allowed"), MATRIX_CELLS)
def test_html_page_acts_exactly_as_the_matrix_says(client, role, service, operation, allowed):
    segment, _factory, _payload = SERVICE_CASES[service]
    event, obj, member = door_case(service, role)
    model, label = type(obj), label_of(obj)
    before = set(model.objects.filter(event=event).values_list(label, flat=True))
    client.force_login(member)
    base = f"/events/{event.pk}/{segment}/"

    if operation == READ:
        response = client.get(base)
        assert response.status_code == (200 if allowed else 403)
        assert (getattr(obj, label) in response.content.decode()) is allowed
    elif operation == CREATE:
        response = client.post(f"{base}new/", form_data(service, event))
        assert response.status_code == (302 if allowed else 403)
    elif operation == UPDATE:
        data = {**form_data(service, event), label: "Renamed"}
        response = client.post(f"{base}{obj.pk}/edit/", data)
        assert response.status_code == (302 if allowed else 403)
    else:
        response = client.post(f"{base}{obj.pk}/delete/")
        assert response.status_code == (302 if allowed else 403)

    after = set(model.objects.filter(event=event).values_list(label, flat=True))
    expected = {
        READ: before,
        CREATE: before | {form_data(service, event)[label]} if allowed else before,
        UPDATE: (before - {getattr(obj, label)}) | {"Renamed"} if allowed else before,
        DELETE: before - {getattr(obj, label)} if allowed else before,
    }[operation]
    assert after == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["organizer", "coorganizer", "track_organizer", "moderator"])
def test_html_event_edit_acts_exactly_as_the_matrix_says(client, role):
    event = EventFactory()
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=role)
    allowed = README_GRANTS[(role, "event", UPDATE)]
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
    stored = Event.objects.get(pk=event.pk)
    assert (stored.name, stored.timezone) == (("Renamed", "Europe/Berlin") if allowed else (event.name, "UTC"))


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
def test_html_unknown_service_page_is_404(client):
    event = EventFactory()
    client.force_login(event.created_by)
    assert client.get(f"/events/{event.pk}/widgets/").status_code == 404
