"""The public schedule, session and speaker pages; the event page links to them."""

import re

import pytest
from django.urls import reverse

from events.models import Event
from events.tests.factories import MicrolocationFactory, SessionFactory, SpeakerFactory, TrackFactory
from events.tests.schedule_world import dst_conference

pytestmark = pytest.mark.django_db


def page(name, event, *args):
    return reverse(f"public:{name}", args=[event.slug, *args])


def day_sections(html):
    """Return {day id: [titles in the fallback list]} of the schedule page."""
    sections = re.split(r'<section class="schedule-day', html)[1:]
    found = {}
    for section in sections:
        day = re.search(r'id="day-([0-9-]+)"', section).group(1)
        found[day] = re.findall(r'/sessions/\d+/">([^<]+)</a>', section)
    return found


def test_schedule_page_lists_public_sessions_by_local_day(client):
    world = dst_conference()
    response = client.get(page("schedule", world.event))
    assert response.status_code == 200
    html = response.content.decode()
    assert day_sections(html) == {
        "2030-10-25": ["Opening", "Workshop"],
        "2030-10-26": ["Cancelled talk", "Late party"],
        "2030-10-27": ["Night owls", "Hallway track"],
    }
    assert "Secret draft" not in html
    assert "01:30\u201303:30" in html  # the night owls, in the event's time on both sides of the change
    assert "23:30\u201301:00" in html  # the late party, across midnight
    assert f'data-ws-path="/ws/events/{world.event.pk}/"' in html
    assert '<script src="/static/js/schedule.js" defer></script>' in html


def test_schedule_page_filters_and_its_feed_links_follow(client):
    world = dst_conference()
    response = client.get(page("schedule", world.event), {"track": world.main.pk, "day": "", "room": ""})
    html = response.content.decode()
    assert day_sections(html) == {
        "2030-10-25": ["Opening"],
        "2030-10-26": ["Cancelled talk"],
        "2030-10-27": ["Hallway track"],
    }
    assert f'/e/dst-conf/schedule.ics?track={world.main.pk}"' in html
    assert f'data-data-url="/e/dst-conf/schedule/data.json?track={world.main.pk}"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"when": "now"}, "Unknown parameter when"),
        ({"day": "2031-01-01"}, "2031-01-01 is not a day of this event"),
        ({"room": "-1"}, "room must be the id of a room"),
    ],
)
def test_schedule_page_refuses_a_bad_filter_with_a_message(client, query, message):
    world = dst_conference()
    response = client.get(page("schedule", world.event), query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "js/schedule.js" not in response.content.decode()


def test_schedule_pages_of_a_draft_event_are_404_to_the_public(client):
    world = dst_conference(state=Event.DRAFT)
    for path in [
        page("schedule", world.event),
        page("session", world.event, world.opening.pk),
        page("speaker", world.event, world.ada.pk),
    ]:
        assert client.get(path).status_code == 404
    client.force_login(world.event.created_by)
    assert client.get(page("schedule", world.event)).status_code == 200  # the team previews it


def test_session_page_shows_a_public_session_only(client):
    world = dst_conference()
    html = client.get(page("session", world.event, world.cancelled.pk)).content.decode()
    assert "Cancelled talk" in html
    assert "Cancelled</span>" in html
    assert page("session-ics", world.event, world.cancelled.pk) in html
    assert client.get(page("session", world.event, world.draft.pk)).status_code == 404
    assert client.get(page("session", world.event, 99999999999999999999)).status_code == 404


def test_speaker_page_lists_their_public_sessions(client):
    world = dst_conference()
    world.draft.speakers.add(world.ada)
    world.ada.email = "ada@example.org"
    world.ada.save()
    html = client.get(page("speaker", world.event, world.ada.pk)).content.decode()
    assert "Wrote the first program." in html
    assert "Opening" in html
    assert "Secret draft" not in html
    assert "ada@example.org" not in html
    # A speaker of drafts only, or of another event, is no public page.
    hidden = SpeakerFactory(event=world.event)
    world.draft.speakers.add(hidden)
    assert client.get(page("speaker", world.event, hidden.pk)).status_code == 404
    other = dst_conference(slug="other-conf")
    assert client.get(page("speaker", world.event, other.ada.pk)).status_code == 404


def test_event_page_links_the_schedule_and_shows_no_draft(client):
    world = dst_conference()
    html = client.get(page("event", world.event)).content.decode()
    assert f'href="{page("schedule", world.event)}"' in html
    assert f'href="{page("schedule-ics", world.event)}"' in html
    assert "Secret draft" not in html
    assert "Cancelled</span>" in html


def test_schedule_page_query_count_does_not_grow_with_sessions(client, django_assert_num_queries):
    world = dst_conference()
    # event, tracks, rooms, sessions, speakers; then the session middleware and CSRF cost nothing more.
    with django_assert_num_queries(5):
        assert client.get(page("schedule", world.event)).status_code == 200


def test_event_page_lists_sessions_with_track_room_and_speakers_in_queries_that_do_not_grow(
    client, django_assert_num_queries
):
    world = dst_conference()
    # event, tickets with what they have left, sponsors, sessions, their speakers, tracks, rooms
    with django_assert_num_queries(7):
        html = client.get(page("event", world.event)).content.decode()
    assert "Hall A · Main" in html
    assert re.findall(r'/speakers/\d+/">([^<]+)</a>', html) == ["Ada Lovelace", "Grace Hopper", "Grace Hopper"]
    for number in range(5):
        track = TrackFactory(event=world.event, name=f"Track {number}")
        room = MicrolocationFactory(event=world.event, name=f"Room {number}")
        SessionFactory(
            event=world.event, title=f"More {number}", track=track, microlocation=room, starts_at=world.event.starts_at
        ).speakers.add(SpeakerFactory(event=world.event, name=f"Speaker {number}"))
    with django_assert_num_queries(7):
        html = client.get(page("event", world.event)).content.decode()
    assert "Room 4 · Track 4" in html
    assert "Speaker 4</a>" in html
