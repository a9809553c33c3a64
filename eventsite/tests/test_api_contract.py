"""The API as an integrator meets it: one error format, strict input, time zones, Location, 412 ETags, versions."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.tests.time import iso
from events.models import Event, Session, Track
from events.tests.factories import EventFactory, MicrolocationFactory, SessionFactory, SpeakerFactory, TrackFactory
from notifications.models import Notification
from notifications.services import notify
from permissions.tests.factories import EventRoleFactory
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return EventFactory()


@pytest.fixture
def api(api_for, event):
    return api_for(event.created_by)


# Errors: one JSON shape under /api/ (DRF's: {"field": [...]} for input, {"detail": ...} otherwise).


@pytest.mark.parametrize(
    "path",
    ["/api/v1/events/{pk}/nope/", "/api/v1/events/abc/sessions/", "/api/v1/nowhere/", "/api/nothing"],
)
def test_unrouted_paths_under_api_are_json_404(api, event, path):
    response = api.get(path.format(pk=event.pk))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


def test_method_not_allowed_and_unsupported_media_type_are_json(api, event):
    url = f"/api/v1/events/{event.pk}/versions/"
    response = api.post(url, {}, format="json")
    assert (response.status_code, response.json()) == (405, {"detail": 'Method "POST" not allowed.'})
    response = api.post(f"/api/v1/events/{event.pk}/tracks/", "<track/>", content_type="application/xml")
    assert response.status_code == 415
    assert response.json() == {"detail": 'Unsupported media type "application/xml" in request.'}


def test_background_upload_refusal_has_the_one_error_shape(api, event):
    response = api.post(f"/api/v1/events/{event.pk}/background/", {"background_data": "nonsense"}, format="multipart")
    assert response.status_code == 400
    assert set(response.json()) == {"detail"}


def test_all_field_errors_come_in_one_answer(api, event):
    response = api.patch(
        f"/api/v1/events/{event.pk}/",
        {"timezone": "Mars/Olympus", "ends_at": iso(event.starts_at - timedelta(hours=1))},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "timezone": ["'Mars/Olympus' is not a known time zone."],
        "ends_at": ["The event must end after it starts."],
    }


# Strict input.


def test_unknown_body_field_is_400_naming_it(api, event):
    track = TrackFactory(event=event, name="Original")
    response = api.patch(f"/api/v1/events/{event.pk}/tracks/{track.pk}/", {"nmae": "typo"}, format="json")
    assert (response.status_code, response.json()) == (400, {"nmae": ["Unknown field."]})


def test_read_only_field_is_400_and_changes_nothing(api, event):
    url = f"/api/v1/events/{event.pk}/"
    etag = api.get(url)["ETag"]
    response = api.patch(url, {"state": "published"}, format="json")
    assert (response.status_code, response.json()) == (400, {"state": ["This field is read-only."]})
    event.refresh_from_db()
    assert (event.state, event.version) == (Event.DRAFT, 1)
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_ticket_currency_is_refused(api, event):
    response = api.post(
        f"/api/v1/events/{event.pk}/tickets/",
        {"name": "Standard", "type": "paid", "price": "10.00", "quantity": 100, "currency": "USD"},
        format="json",
    )
    assert (response.status_code, response.json()) == (400, {"currency": ["Unknown field."]})


def test_unknown_query_parameter_is_400_naming_it(api, event):
    response = api.get(f"/api/v1/events/{event.pk}/tracks/", {"colour": "red", "nmae": "x"})
    assert response.status_code == 400
    assert response.json() == {"colour": ["Unknown query parameter."], "nmae": ["Unknown query parameter."]}


def test_unknown_query_parameter_on_one_object_is_400(api, event):
    track = TrackFactory(event=event)
    response = api.get(f"/api/v1/events/{event.pk}/tracks/{track.pk}/", {"page": "2"})
    assert (response.status_code, response.json()) == (400, {"page": ["Unknown query parameter."]})


def test_invalid_ordering_is_400(api, event):
    response = api.get(f"/api/v1/events/{event.pk}/sessions/", {"ordering": "ends_at,-title"})
    assert response.status_code == 400
    assert response.json() == {
        "ordering": ["Cannot order by ends_at; choose from starts_at, title, id (each may start with -)."]
    }


def test_valid_ordering_still_orders(api, event):
    TrackFactory(event=event, name="B")
    TrackFactory(event=event, name="A")
    response = api.get(f"/api/v1/events/{event.pk}/tracks/", {"ordering": "-name"})
    assert [track["name"] for track in response.json()["results"]] == ["B", "A"]


def test_invalid_boolean_filter_is_400(api_for, event):
    notify(event.created_by, action=Notification.GENERAL, title="Hi", message="<p>Hi</p>")
    response = api_for(event.created_by).get("/api/v1/notifications/", {"unread": "maybe"})
    assert (response.status_code, response.json()) == (400, {"unread": ["Send true or false."]})
    hidden = api_for(event.created_by).get(f"/api/v1/events/{event.pk}/tickets/", {"hidden": "perhaps"})
    assert (hidden.status_code, hidden.json()) == (400, {"hidden": ["Send true or false."]})


def test_boolean_filter_true_still_filters(api_for, event):
    TicketFactory(event=event, hidden=True, name="Secret")
    TicketFactory(event=event, hidden=False, name="Open")
    response = api_for(event.created_by).get(f"/api/v1/events/{event.pk}/tickets/", {"hidden": "true"})
    assert [ticket["name"] for ticket in response.json()["results"]] == ["Secret"]


# Time zones.


def test_naive_datetime_is_refused_with_a_hint(api, event):
    response = api.post(
        "/api/v1/events/",
        {"name": "Naive", "starts_at": "2026-09-10T09:00:00", "ends_at": "2026-09-11T09:00:00+02:00"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "starts_at": [
            "Send the time with its UTC offset, e.g. 2026-09-10T09:00:00+02:00 or 2026-09-10T07:00:00Z; "
            "a time without one is ambiguous."
        ]
    }


def test_validation_messages_show_times_with_their_zone(api, event):
    event.timezone = "Europe/Berlin"
    event.save()
    response = api.post(
        f"/api/v1/events/{event.pk}/sessions/",
        {
            "title": "Too late",
            "starts_at": iso(event.ends_at + timedelta(hours=1)),
            "ends_at": iso(event.ends_at + timedelta(hours=2)),
        },
        format="json",
    )
    assert response.status_code == 400
    berlin = ZoneInfo("Europe/Berlin")
    starts = event.starts_at.astimezone(berlin).strftime("%Y-%m-%d %H:%M")
    ends = event.ends_at.astimezone(berlin).strftime("%Y-%m-%d %H:%M")
    assert response.json() == {
        "starts_at": [
            f"The session must take place within the event's dates ({starts} Europe/Berlin to {ends} Europe/Berlin)."
        ]
    }


# Location, 412 with the current ETag, versions from 1.


def test_create_answers_201_with_location(api, event):
    response = api.post(f"/api/v1/events/{event.pk}/tracks/", {"name": "Web"}, format="json")
    assert response.status_code == 201
    track = Track.objects.get()
    assert response["Location"] == f"http://testserver/api/v1/events/{event.pk}/tracks/{track.pk}/"
    created = api.post(
        "/api/v1/events/",
        {"name": "New", "starts_at": "2026-09-10T09:00:00+02:00", "ends_at": "2026-09-11T09:00:00+02:00"},
        format="json",
    )
    assert created["Location"] == f"http://testserver/api/v1/events/{created.json()['id']}/"


def test_412_carries_the_current_etag(api, event):
    track = TrackFactory(event=event)
    url = f"/api/v1/events/{event.pk}/tracks/{track.pk}/"
    stale = api.get(url)["ETag"]
    current = api.patch(url, {"name": "First"}, format="json")["ETag"]
    response = api.patch(url, {"name": "Second"}, format="json", HTTP_IF_MATCH=stale)
    assert (response.status_code, response["ETag"]) == (412, current)
    assert api.delete(url, HTTP_IF_MATCH=stale)["ETag"] == current


def test_new_session_with_speakers_starts_at_version_1(api, event):
    speaker = SpeakerFactory(event=event)
    response = api.post(
        f"/api/v1/events/{event.pk}/sessions/",
        {
            "title": "Keynote",
            "speakers": [speaker.pk],
            "track": TrackFactory(event=event).pk,
            "microlocation": MicrolocationFactory(event=event).pk,
            "starts_at": iso(event.starts_at + timedelta(hours=1)),
            "ends_at": iso(event.starts_at + timedelta(hours=2)),
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["version"] == 1
    assert Session.objects.get().version == 1
    assert api.get(response["Location"])["ETag"] == response["ETag"]


def test_clearing_a_nullable_link_with_json(api, event):
    session = SessionFactory(event=event, track=TrackFactory(event=event))
    response = api.patch(f"/api/v1/events/{event.pk}/sessions/{session.pk}/", {"track": None}, format="json")
    assert (response.status_code, response.json()["track"]) == (200, None)


def test_naive_filter_value_is_unchanged(api, event):
    # Filters compare as before (no offset: UTC); only bodies are strict about offsets.
    SessionFactory(event=event)
    since = datetime(2000, 1, 1).isoformat()
    assert api.get(f"/api/v1/events/{event.pk}/sessions/", {"starts_at__gte": since}).json()["count"] == 1


# ?expand=, ?modified_since=, ?search=.


def expanded_world(event):
    track, room = TrackFactory(event=event, name="Web"), MicrolocationFactory(event=event, name="Hall")
    speakers = [SpeakerFactory(event=event, name=name, email=f"{name.lower()}@example.com") for name in ("Ada", "Bob")]
    for hour in range(3):
        session = SessionFactory(
            event=event, track=track, microlocation=room, starts_at=event.starts_at + timedelta(hours=hour)
        )
        session.speakers.set(speakers)
    return track, room, speakers


def test_expand_nests_speakers_track_and_room_without_a_query_per_session(api, event, django_assert_num_queries):
    track, _room, speakers = expanded_world(event)
    url = f"/api/v1/events/{event.pk}/sessions/"
    plain = api.get(url)  # warms what a first request builds once
    assert plain.json()["results"][0]["speakers"] == [speakers[0].pk, speakers[1].pk]
    # the event with permissions and the ETag's counters, the page, its speakers, tracks and rooms; no COUNT
    with django_assert_num_queries(5):
        response = api.get(url, {"expand": "speakers,track,microlocation"})
    first = response.json()["results"][0]
    assert first["track"] == {
        "id": track.pk,
        "name": "Web",
        "description": "",
        "color": track.color,
        "location": "",
        "version": 1,
    }
    assert first["microlocation"]["name"] == "Hall"
    assert [(speaker["name"], speaker["email"]) for speaker in first["speakers"]] == [
        ("Ada", "ada@example.com"),
        ("Bob", "bob@example.com"),
    ]
    assert response["ETag"] != plain["ETag"]


def test_expand_on_one_session_and_its_etag_follows_the_expanded_lists(api, event):
    track, _room, _speakers = expanded_world(event)
    session = Session.objects.first()
    url = f"/api/v1/events/{event.pk}/sessions/{session.pk}/"
    first = api.get(url, {"expand": "track"})
    assert first.json()["track"]["name"] == "Web"
    track.name = "Frontend"
    track.save()
    again = api.get(url, {"expand": "track"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert (again.status_code, again.json()["track"]["name"]) == (200, "Frontend")
    # Without expand the session's ETag is as before: the track's rename does not change it.
    plain = api.get(url)
    assert api.get(url, HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304


def test_expand_for_the_public_hides_speaker_emails(api_for, event):
    event.state = Event.PUBLISHED
    event.save()
    expanded_world(event)
    response = api_for(None).get(f"/api/v1/events/{event.pk}/sessions/", {"expand": "speakers"})
    assert response.status_code == 200
    assert response.json()["results"][0]["speakers"][0] == {
        "id": Session.objects.first().speakers.first().pk,
        "name": "Ada",
        "bio": "",
        "organisation": "",
        "version": 1,
    }


def test_expand_of_an_unknown_field_is_400(api, event):
    response = api.get(f"/api/v1/events/{event.pk}/sessions/", {"expand": "speakers,abstract"})
    assert (response.status_code, response.json()) == (
        400,
        {"expand": ["Cannot expand abstract; choose from microlocation, speakers, track."]},
    )
    track = TrackFactory(event=event)
    refused = api.get(f"/api/v1/events/{event.pk}/tracks/{track.pk}/", {"expand": "sessions"})
    assert (refused.status_code, refused.json()) == (400, {"expand": ["Unknown query parameter."]})


def test_modified_since_on_every_list(api, event):
    old = TrackFactory(event=event, name="Old")
    since = iso(datetime.now(UTC))
    fresh = TrackFactory(event=event, name="Fresh")
    url = f"/api/v1/events/{event.pk}/tracks/"
    assert [row["name"] for row in api.get(url, {"modified_since": since}).json()["results"]] == ["Fresh"]
    Track.objects.filter(pk=old.pk).update(description="Bulk edits count too")
    names = [row["name"] for row in api.get(url, {"modified_since": since}).json()["results"]]
    assert names == ["Fresh", "Old"]
    assert fresh.pk
    for name in ("tickets", "tracks", "sessions", "speakers", "sponsors", "microlocations", "roles", "invites"):
        response = api.get(f"/api/v1/events/{event.pk}/{name}/", {"modified_since": since})
        assert response.status_code == 200, name
    for url in ("/api/v1/events/", "/api/v1/me/events/", "/api/v1/notifications/"):
        assert api.get(url, {"modified_since": since}).status_code in (200, 403), url
    assert api.get(url, {"modified_since": "yesterday"}).status_code == 400


def test_search_by_name(api, event):
    TrackFactory(event=event, name="Web Frontend")
    TrackFactory(event=event, name="Databases")
    SpeakerFactory(event=event, name="Grace Hopper", organisation="Navy")
    SpeakerFactory(event=event, name="Ada Lovelace")
    base = f"/api/v1/events/{event.pk}"
    assert [row["name"] for row in api.get(f"{base}/tracks/", {"search": "front"}).json()["results"]] == [
        "Web Frontend"
    ]
    assert [row["name"] for row in api.get(f"{base}/speakers/", {"search": "navy"}).json()["results"]] == [
        "Grace Hopper"
    ]
    assert api.get(f"{base}/sessions/", {"search": "nothing like it"}).json()["count"] == 0


def test_a_session_missing_its_end_gets_the_field_error_alone(api, event):
    response = api.post(
        f"/api/v1/events/{event.pk}/sessions/",
        {"title": "Half", "starts_at": iso(event.starts_at), "track": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "track": ["Incorrect type. Expected pk value, received str."],
        "ends_at": ["This field is required."],
    }


def test_404_wording_is_the_same_for_every_resource(api, event):
    answers = {
        api.get(url).json()["detail"]
        for url in (
            f"/api/v1/events/{event.pk}/tracks/999999/",
            f"/api/v1/events/{event.pk}/microlocations/999999/",
            f"/api/v1/events/{event.pk}/sessions/999999/",
            f"/api/v1/events/{event.pk}/webhooks/999999/deliveries/",
            "/api/v1/notifications/999999/",
        )
    }
    assert answers == {"No such object."}


def test_every_query_parameter_the_schema_offers_a_list_is_one_the_server_takes(api, event, client):
    # Attacker's probe: the schema offered ``search`` on lists that refuse it as an unknown parameter (tokens,
    # invites, orders, roles, webhooks, deliveries, notifications): a generated client would send it and get a 400.
    from events.webhooks.models import Webhook

    webhook = Webhook.objects.create(event=event, url="https://hooks.example/x", created_by=event.created_by)
    schema = client.get("/api/schema/?format=json").json()
    lists = [
        path for path, operations in schema["paths"].items() if path.startswith("/api/v1/") and "get" in operations
    ]
    lists = [path for path in lists if not path.endswith("}/")]  # not one object
    assert len(lists) >= 15
    refused = {}
    for path in lists:
        url = path.format(event_pk=event.pk, webhook_pk=webhook.pk, id=event.pk)
        for parameter in schema["paths"][path]["get"].get("parameters", []):
            if parameter["in"] != "query":
                continue
            kind = parameter["schema"]
            sample = (
                kind["enum"][0] if kind.get("enum") else {"integer": "1", "boolean": "true"}.get(kind.get("type"), "a")
            )
            sample = "2030-01-01T00:00:00Z" if kind.get("format") == "date-time" else sample
            response = api.get(url, {parameter["name"]: sample})
            if response.status_code == 400 and response.json().get(parameter["name"]) == ["Unknown query parameter."]:
                refused.setdefault(path, []).append(parameter["name"])
    assert refused == {}


def test_an_object_where_a_list_of_ids_belongs_is_refused(api, event):
    # Attacker's probe: {"speakers": {"4": 1}} was taken as the list [4] (DRF read the object's keys as the ids),
    # and so were a role's tracks.
    speaker, track = SpeakerFactory(event=event), TrackFactory(event=event)
    body = {"title": "Talk", "starts_at": iso(event.starts_at), "ends_at": iso(event.starts_at + timedelta(hours=1))}
    url = f"/api/v1/events/{event.pk}/sessions/"
    response = api.post(url, {**body, "speakers": {str(speaker.pk): 1}}, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"speakers": ['Expected a list of items but got type "dict".']},
    )
    assert Session.objects.count() == 0
    created = api.post(url, {**body, "speakers": [speaker.pk]}, format="json")
    assert (created.status_code, created.json()["speakers"]) == (201, [speaker.pk])

    role = EventRoleFactory(event=event, role="moderator")
    roles_url = f"/api/v1/events/{event.pk}/roles/{role.pk}/"
    refused = api.patch(roles_url, {"tracks": {str(track.pk): 1}}, format="json")
    assert (refused.status_code, refused.json()) == (400, {"tracks": ['Expected a list of items but got type "dict".']})
    assert list(role.tracks.all()) == []
    assert api.patch(roles_url, {"tracks": [track.pk]}, format="json").json()["tracks"] == [track.pk]
