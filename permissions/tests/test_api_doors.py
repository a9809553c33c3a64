"""The REST API asks the matrix: every role x service x operation, on a draft event."""

import pytest

from core.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory, SessionFactory
from permissions.models import RolePermission
from permissions.names import CREATE, DELETE, MODERATOR, OPERATIONS, READ, ROLES, UPDATE, default_grants
from permissions.tests.doors import MATRIX_CELLS, SERVICE_CASES, denial_status, door_case, label_of
from permissions.tests.factories import EventRoleFactory

ALLOWED = {READ: 200, CREATE: 201, UPDATE: 200, DELETE: 204}


def call(api, operation, event, segment, obj, payload):
    base = f"/api/v1/events/{event.pk}/{segment}/"
    if operation == READ:
        return api.get(base)
    if operation == CREATE:
        return api.post(base, payload, format="json")
    if operation == UPDATE:
        return api.patch(f"{base}{obj.pk}/", payload, format="json")
    return api.delete(f"{base}{obj.pk}/")


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "service", "operation", "allowed"), MATRIX_CELLS)
def test_api_follows_matrix(api_for, role, service, operation, allowed):
    segment, _factory, payload = SERVICE_CASES[service]
    event, obj, member = door_case(service, role)
    model = type(obj)
    before = model.objects.count()

    label = label_of(obj)
    names_before = set(model.objects.filter(event=event).values_list(label, flat=True))
    body = {**payload(event), label: "Renamed"} if operation == UPDATE else payload(event)

    response = call(api_for(member), operation, event, segment, obj, body)

    assert response.status_code == (ALLOWED[operation] if allowed else denial_status(role, service, operation))
    names_after = set(model.objects.filter(event=event).values_list(label, flat=True))
    expected = {
        READ: names_before,
        CREATE: names_before | {payload(event)[label]} if allowed else names_before,
        UPDATE: (names_before - {getattr(obj, label)}) | {"Renamed"} if allowed else names_before,
        DELETE: names_before - {getattr(obj, label)} if allowed else names_before,
    }[operation]
    assert names_after == expected
    assert model.objects.count() == before + {CREATE: 1, DELETE: -1}.get(operation, 0) * allowed
    if operation == READ and allowed:
        assert [row[label] for row in response.json()["results"]] == [getattr(obj, label)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "operation", "allowed"),
    [
        (role, op, expected)
        for role in ROLES
        for op, expected in zip(OPERATIONS, default_grants(role, "event"), strict=False)
        if op != CREATE
    ],
)
def test_api_event_itself_follows_matrix(api_for, role, operation, allowed):
    event = EventFactory()
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=role)
    api = api_for(member)
    url = f"/api/v1/events/{event.pk}/"
    response = {
        READ: lambda: api.get(url),
        UPDATE: lambda: api.patch(url, {"name": "Renamed"}, format="json"),
        DELETE: lambda: api.delete(url),
    }[operation]()
    assert response.status_code == (ALLOWED[operation] if allowed else 403)
    assert Event.objects.filter(pk=event.pk).exists() is not (operation == DELETE and allowed)


@pytest.mark.django_db
@pytest.mark.parametrize("service", list(SERVICE_CASES))
def test_api_stranger_gets_404_for_draft_event(api_for, service):
    segment, factory, _payload = SERVICE_CASES[service]
    event = EventFactory()
    obj = factory(event=event)
    api = api_for(UserFactory())
    assert api.get(f"/api/v1/events/{event.pk}/{segment}/").status_code == 404
    assert api.get(f"/api/v1/events/{event.pk}/{segment}/{obj.pk}/").status_code == 404
    assert api.patch(f"/api/v1/events/{event.pk}/{segment}/{obj.pk}/", {}, format="json").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("service", list(SERVICE_CASES))
def test_api_anonymous_reads_published_event_but_cannot_write(api_for, service):
    segment, factory, payload = SERVICE_CASES[service]
    event = EventFactory(state=Event.PUBLISHED)
    obj = factory(event=event)
    if service == "speaker":  # a speaker is public through a public session (test_public_speakers.py)
        SessionFactory(event=event).speakers.add(obj)
    api = api_for(None)
    assert api.get(f"/api/v1/events/{event.pk}/{segment}/").status_code == 200
    assert api.get(f"/api/v1/events/{event.pk}/{segment}/{obj.pk}/").status_code == 200
    assert api.post(f"/api/v1/events/{event.pk}/{segment}/", payload(event), format="json").status_code == 401
    assert api.delete(f"/api/v1/events/{event.pk}/{segment}/{obj.pk}/").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("service", list(SERVICE_CASES))
def test_api_object_of_event_a_is_not_reachable_through_event_b(api_for, service):
    segment, factory, _payload = SERVICE_CASES[service]
    organizer = UserFactory()
    event_a, event_b = EventFactory(created_by=organizer), EventFactory(created_by=organizer)
    obj = factory(event=event_a)
    api = api_for(organizer)
    assert api.get(f"/api/v1/events/{event_b.pk}/{segment}/{obj.pk}/").status_code == 404
    assert api.patch(f"/api/v1/events/{event_b.pk}/{segment}/{obj.pk}/", {}, format="json").status_code == 404
    assert api.delete(f"/api/v1/events/{event_b.pk}/{segment}/{obj.pk}/").status_code == 404
    assert type(obj).objects.filter(pk=obj.pk).exists() is True


@pytest.mark.django_db
def test_api_matrix_edit_takes_effect_on_next_request(api_for):
    _segment, _factory, payload = SERVICE_CASES["sponsor"]
    event = EventFactory()
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=MODERATOR)
    api = api_for(member)
    assert api.post(f"/api/v1/events/{event.pk}/sponsors/", payload(event), format="json").status_code == 403
    RolePermission.objects.filter(role__name=MODERATOR, service__name="sponsor").update(can_create=True)
    # A new request loads a new user object, as session and token authentication do.
    api.force_authenticate(type(member).objects.get(pk=member.pk))
    assert api.post(f"/api/v1/events/{event.pk}/sponsors/", payload(event), format="json").status_code == 201


@pytest.mark.django_db
def test_api_staff_reads_any_event_but_cannot_write(api_for):
    event = EventFactory()
    _segment, factory, payload = SERVICE_CASES["track"]
    factory(event=event)
    api = api_for(UserFactory(is_staff=True))
    assert api.get(f"/api/v1/events/{event.pk}/tracks/").status_code == 200
    assert api.post(f"/api/v1/events/{event.pk}/tracks/", payload(event), format="json").status_code == 403


@pytest.mark.django_db
def test_api_method_a_view_does_not_route_is_checked_as_a_read(api_for):
    """The background image answers POST and DELETE; a GET is asked as a read (then 405), unseen drafts stay 404."""
    event = EventFactory()
    url = f"/api/v1/events/{event.pk}/background/"
    assert api_for(event.created_by).get(url).status_code == 405
    assert api_for(UserFactory()).get(url).status_code == 404


@pytest.mark.django_db
def test_api_speaker_emails_and_etags_follow_the_readers_private_fields(api_for):
    """Staff read speakers but may not edit them: no email, and another ETag than the organizer's list."""
    from events.tests.factories import SpeakerFactory

    event = EventFactory()
    SpeakerFactory(event=event, name="Ada", email="ada@example.com")
    url = f"/api/v1/events/{event.pk}/speakers/"
    organizer, staff = api_for(event.created_by), api_for(UserFactory(is_staff=True))

    as_organizer, as_staff = organizer.get(url), staff.get(url)
    assert [(row["name"], row["email"]) for row in as_organizer.json()["results"]] == [("Ada", "ada@example.com")]
    assert [sorted(row) for row in as_staff.json()["results"]] == [["bio", "id", "name", "organisation", "version"]]
    assert as_organizer["ETag"] != as_staff["ETag"]
    # The organizer's tag is not the staff member's: their list comes whole, without the address.
    again = staff.get(url, HTTP_IF_NONE_MATCH=as_organizer["ETag"])
    assert (again.status_code, [row["name"] for row in again.json()["results"]]) == (200, ["Ada"])
    assert "email" not in again.json()["results"][0]


@pytest.mark.django_db
def test_api_list_etag_follows_the_events_list(api_for):
    from events.tests.factories import SpeakerFactory

    event = EventFactory()
    SpeakerFactory(event=event, name="Ada")
    url = f"/api/v1/events/{event.pk}/speakers/"
    api = api_for(event.created_by)
    first = api.get(url)
    assert api.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    SpeakerFactory(event=event, name="Bob")
    after = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert (after.status_code, [row["name"] for row in after.json()["results"]]) == (200, ["Ada", "Bob"])
    assert after["ETag"] != first["ETag"]
