"""Personal schedules: starred sessions as a feed behind an unguessable token, updatable and revocable."""

import json

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from events.models import Event, PersonalSchedule
from events.tests.schedule_world import berlin, dst_conference
from permissions.models import hash_token

pytestmark = pytest.mark.django_db


def create_url(event):
    return reverse("public:personal-create", args=[event.slug])


def post(client, event, sessions, **kwargs):
    return client.post(create_url(event), json.dumps({"sessions": sessions}), content_type="application/json", **kwargs)


def summaries(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return sorted(str(vevent["summary"]) for vevent in icalendar.Calendar.from_ical(response.content).walk("VEVENT"))


def test_creating_a_feed_answers_its_url_once_and_stores_only_a_hash(client):
    world = dst_conference()
    response = post(client, world.event, [world.workshop.pk, world.cancelled.pk])
    assert response.status_code == 201
    body = response.json()
    token = body["url"].rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 40
    assert body["sessions"] == sorted([world.workshop.pk, world.cancelled.pk])
    assert body["webcal_url"] == "webcal://" + body["url"].split("://", 1)[1]
    stored = PersonalSchedule.objects.get()
    assert stored.token_hash == hash_token(token)
    assert token not in json.dumps(list(PersonalSchedule.objects.values()), default=str)
    assert summaries(client, body["url"]) == ["Cancelled talk", "Workshop"]


def test_the_feed_follows_a_moved_session_and_is_private(client):
    world = dst_conference()
    url = post(client, world.event, [world.workshop.pk]).json()["url"]
    first = client.get(url)
    assert first["Cache-Control"] == "private, max-age=60, must-revalidate"
    world.workshop.starts_at, world.workshop.ends_at = berlin(25, 15), berlin(25, 16)
    world.workshop.save()
    moved = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert moved.status_code == 200
    [vevent] = icalendar.Calendar.from_ical(moved.content).walk("VEVENT")
    assert vevent.decoded("dtstart") == berlin(25, 15)


def test_a_conditional_get_of_the_feed_costs_three_queries(client, django_assert_num_queries):
    world = dst_conference()
    url = post(client, world.event, [world.workshop.pk]).json()["url"]
    etag = client.get(url)["ETag"]
    with django_assert_num_queries(3):  # the event, the personal schedule, the counters
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_the_feed_can_be_given_other_sessions_under_the_same_url(client):
    world = dst_conference()
    body = post(client, world.event, [world.workshop.pk]).json()
    etag = client.get(body["url"])["ETag"]
    response = client.put(body["manage_url"], json.dumps({"sessions": [world.opening.pk, world.late_party.pk]}))
    assert response.status_code == 200
    assert response.json()["url"] == body["url"]
    assert client.get(body["url"], headers={"If-None-Match": etag}).status_code == 200
    assert summaries(client, body["url"]) == ["Late party", "Opening"]


def test_revoking_the_feed_makes_its_url_a_404(client):
    world = dst_conference()
    body = post(client, world.event, [world.workshop.pk]).json()
    assert client.delete(body["manage_url"]).status_code == 204
    assert client.get(body["url"]).status_code == 404
    assert client.delete(body["manage_url"]).status_code == 404
    assert PersonalSchedule.objects.count() == 0


def test_a_made_up_token_or_one_of_another_event_is_a_404(client):
    world = dst_conference()
    other = dst_conference(slug="other-conf")
    body = post(client, world.event, [world.workshop.pk]).json()
    token = body["url"].rsplit("/", 1)[1].removesuffix(".ics")
    assert client.get(reverse("public:personal-ics", args=[world.event.slug, "x" * 43])).status_code == 404
    assert client.get(reverse("public:personal-ics", args=[other.event.slug, token])).status_code == 404
    response = client.put(reverse("public:personal-manage", args=[other.event.slug, token]), "{}")
    assert (response.status_code, response.json()) == (
        404,
        {"detail": "No such personal schedule (it may have been revoked)."},
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", 'Send a JSON object: {"sessions": [ids]}.'),
        ("[1, 2]", 'Send a JSON object: {"sessions": [ids]}.'),
        ('{"sessions": "1,2"}', "Send the sessions as a list of session ids."),
        ('{"sessions": [true]}', "Send the sessions as a list of session ids."),
        ('{"sessions": []}', "A personal schedule holds 1 to 200 sessions."),
        (json.dumps({"sessions": list(range(1, 202))}), "A personal schedule holds 1 to 200 sessions."),
        # An attacker's probe: ids beyond the database's integer, and a body too deep to decode, were 500s.
        ('{"sessions": [18446744073709551616]}', "Send the sessions as a list of session ids."),
        ('{"sessions": [1, -18446744073709551616]}', "Send the sessions as a list of session ids."),
        ('{"sessions": [0]}', "Send the sessions as a list of session ids."),
        ("[" * 100_000, 'Send a JSON object: {"sessions": [ids]}.'),
    ],
)
def test_a_bad_body_is_a_400_and_saves_nothing(client, body, message):
    world = dst_conference()
    response = client.post(create_url(world.event), body, content_type="application/json")
    assert (response.status_code, response.json()) == (400, {"sessions": message})
    assert PersonalSchedule.objects.count() == 0


def test_only_public_sessions_of_the_event_can_be_starred(client):
    world = dst_conference()
    other = dst_conference(slug="other-conf")
    response = post(client, world.event, [world.opening.pk, world.draft.pk, other.opening.pk])
    expected = f"This event has no public session {', '.join(map(str, sorted([world.draft.pk, other.opening.pk])))}."
    assert (response.status_code, response.json()) == (400, {"sessions": expected})


def test_a_draft_session_drops_out_of_the_feed(client):
    world = dst_conference()
    url = post(client, world.event, [world.opening.pk, world.workshop.pk]).json()["url"]
    world.workshop.state = world.workshop.DRAFT
    world.workshop.save()
    assert summaries(client, url) == ["Opening"]


def test_creating_a_feed_needs_the_csrf_token():
    world = dst_conference()
    strict = Client(enforce_csrf_checks=True)
    page = strict.get(reverse("public:schedule", args=[world.event.slug]))
    assert post(strict, world.event, [world.opening.pk]).status_code == 403
    token = page.cookies["csrftoken"].value
    assert post(strict, world.event, [world.opening.pk], headers={"X-CSRFToken": token}).status_code == 201


def test_a_draft_event_takes_no_personal_schedule(client):
    world = dst_conference(state=Event.DRAFT)
    assert post(client, world.event, [world.opening.pk]).status_code == 404
