"""A write through the API that changes nothing stores nothing: the version, ETag, counters and webhooks stay.

Finding (an attacker's probe): a PATCH of {} or a PUT of a session as it stood raised its version (so every
client's cached copy and ETag went stale), moved the event's counters (every open page and socket was told of
a change) and queued a "session.changed" delivery to each webhook, for a change that did not happen.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from core.models import Change
from core.tests.time import iso
from core.versioning import read_counters
from events.models import Session
from events.tests.factories import EventFactory, MicrolocationFactory, SessionFactory, SpeakerFactory, TrackFactory
from events.webhooks.services import create_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    event = EventFactory()
    track, room = TrackFactory(event=event, name="Main"), MicrolocationFactory(event=event, name="Hall")
    session = SessionFactory(
        event=event,
        title="Keynote",
        track=track,
        microlocation=room,
        starts_at=event.starts_at + timedelta(hours=1),
        ends_at=event.starts_at + timedelta(hours=2),
    )
    session.speakers.set([SpeakerFactory(event=event, name="Ada"), SpeakerFactory(event=event, name="Grace")])
    create_webhook(event=event, by=event.created_by, url="https://hooks.example.org/in", kinds=["session.changed"])
    return Session.objects.get(pk=session.pk)


def state(session):
    stored = Session.objects.get(pk=session.pk)
    keys = [f"event.{session.event_id}.sessions", f"event.{session.event_id}.public.sessions"]
    return stored.version, stored.updated_at, read_counters(keys), Change.objects.count()


def url(session):
    return f"/api/v1/events/{session.event_id}/sessions/{session.pk}/"


def test_a_patch_of_nothing_or_of_the_same_values_keeps_everything(api_for, session):
    api = api_for(session.event.created_by)
    before, etag = state(session), api.get(url(session))["ETag"]
    speakers = sorted(session.speakers.values_list("pk", flat=True))

    for body in ({}, {"title": "Keynote"}, {"speakers": list(reversed(speakers))}, {"track": session.track_id}):
        response = api.patch(url(session), body, format="json")
        assert (response.status_code, response["ETag"], response.json()["version"]) == (200, etag, before[0]), body

    assert state(session) == before


def test_a_put_of_the_session_as_it_stands_keeps_everything(api_for, session):
    api = api_for(session.event.created_by)
    before = state(session)
    current = api.get(url(session)).json()
    writable = ["title", "abstract", "track", "microlocation", "speakers", "starts_at", "ends_at", "state"]

    response = api.put(url(session), {name: current[name] for name in writable}, format="json")

    assert (response.status_code, response.json()["version"]) == (200, before[0])
    assert state(session) == before


def test_a_write_that_changes_one_thing_is_stored_and_told(api_for, session):
    api = api_for(session.event.created_by)
    version, updated_at, counters, changes = state(session)
    others = [SpeakerFactory(event=session.event, name="Linus").pk]

    for body in ({"title": "Opening keynote"}, {"speakers": others}, {"track": None}):
        assert api.patch(url(session), body, format="json").status_code == 200

    stored = Session.objects.get(pk=session.pk)
    assert (stored.title, list(stored.speakers.values_list("pk", flat=True)), stored.track_id) == (
        "Opening keynote",
        others,
        None,
    )
    assert (stored.version, stored.updated_at > updated_at) == (version + 3, True)  # one version per write
    assert Change.objects.count() == changes + 3  # and one "session.changed" for the webhook
    assert all(value > counters[key] for key, value in state(session)[2].items())


def test_times_sent_in_another_zone_that_name_the_same_moment_are_no_change(api_for, session):
    api = api_for(session.event.created_by)
    before = state(session)
    moment = session.starts_at.astimezone(ZoneInfo("Asia/Tokyo"))

    response = api.patch(url(session), {"starts_at": moment.isoformat()}, format="json")

    assert (response.status_code, response.json()["starts_at"]) == (200, iso(session.starts_at))
    assert state(session) == before
