"""The organizer lists: the columns organizers look for, sortable; empty states; rooms; sponsor logos in public."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile

from core.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import (
    EventFactory,
    MicrolocationFactory,
    SessionFactory,
    SpeakerFactory,
    SponsorFactory,
    TrackFactory,
)
from events.tests.test_background import image_bytes
from permissions.tests.factories import EventRoleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    start = datetime(2031, 7, 1, 7, 0, tzinfo=UTC)  # 09:00 in Berlin
    return EventFactory(timezone="Europe/Berlin", starts_at=start, ends_at=start + timedelta(days=1))


@pytest.fixture
def organizer(client, event):
    client.force_login(event.created_by)
    return client


def sessions_page(client, event, sort=None):
    return client.get(f"/events/{event.pk}/sessions/", {"sort": sort} if sort else {})


def test_sessions_list_shows_time_in_the_event_zone_room_track_and_speakers(organizer, event):
    track = TrackFactory(event=event, name="Main", color="#ff8800")
    room = MicrolocationFactory(event=event, name="Hall A")
    session = SessionFactory(
        event=event, title="Keynote", track=track, microlocation=room, starts_at=event.starts_at + timedelta(hours=1)
    )
    session.speakers.set([SpeakerFactory(event=event, name="Grace Hopper"), SpeakerFactory(event=event, name="Ada")])
    page = sessions_page(organizer, event).content.decode()

    assert "Tue 1 Jul, 10:00\u201311:00" in page
    assert "Hall A" in page
    assert '<span class="track-swatch" style="background-color: #ff8800" aria-hidden="true"></span> Main' in page
    assert "Ada, Grace Hopper" in page
    assert "Times in the event's time zone (Europe/Berlin)." in page


def test_sessions_list_sorts_by_a_column_both_ways_and_ignores_unknown_sorts(organizer, event):
    hall, lab = MicrolocationFactory(event=event, name="Hall"), MicrolocationFactory(event=event, name="Lab")
    start = event.starts_at
    SessionFactory(event=event, title="B early in the lab", microlocation=lab, starts_at=start)
    SessionFactory(event=event, title="A late in the hall", microlocation=hall, starts_at=start + timedelta(hours=3))

    def titles(sort):
        return [session.title for session in sessions_page(organizer, event, sort).context["object_list"]]

    assert titles(None) == ["B early in the lab", "A late in the hall"]
    assert titles("title") == ["A late in the hall", "B early in the lab"]
    assert titles("-title") == ["B early in the lab", "A late in the hall"]
    assert titles("room") == ["A late in the hall", "B early in the lab"]
    assert titles("-time") == ["A late in the hall", "B early in the lab"]
    assert titles("event__created_by__password") == titles(None)
    page = sessions_page(organizer, event, "title").content.decode()
    assert 'aria-sort="ascending"' in page
    assert 'href="?sort=-title"' in page


@pytest.mark.parametrize("count", [1, 3])
def test_sessions_list_queries_are_constant(organizer, event, count, django_assert_num_queries):
    track, room = TrackFactory(event=event), MicrolocationFactory(event=event)
    for hour in range(count):
        starts = event.starts_at + timedelta(hours=hour)  # one room holds one confirmed session at a time
        SessionFactory(event=event, track=track, microlocation=room, starts_at=starts).speakers.add(
            SpeakerFactory(event=event)
        )
    # user (the session comes from the cache), the event with the permissions, the page's count, the
    # sessions, their tracks, their rooms, their speakers, the unread badge
    with django_assert_num_queries(8):
        assert sessions_page(organizer, event).status_code == 200


def test_tracks_list_shows_each_colour_and_its_sessions(organizer, event):
    track = TrackFactory(event=event, name="Workshops", color="#198754")
    SessionFactory.create_batch(2, event=event, track=track)
    page = organizer.get(f"/events/{event.pk}/tracks/")
    assert [(t.name, t.session_count) for t in page.context["object_list"]] == [("Workshops", 2)]
    assert 'style="background-color: #198754"' in page.content.decode()


@pytest.mark.parametrize(("kind", "first"), [("tracks", "track"), ("sessions", "session"), ("microlocations", "room")])
def test_an_empty_list_offers_to_add_the_first(organizer, event, kind, first):
    page = organizer.get(f"/events/{event.pk}/{kind}/").content.decode()
    assert f'<a class="btn btn-primary" href="/events/{event.pk}/{kind}/new/">Add the first {first}</a>' in page
    assert "Nothing here yet" not in page


def test_an_empty_list_tells_a_role_that_cannot_add_who_can(client, event):
    moderator = UserFactory()
    EventRoleFactory(user=moderator, event=event, role="moderator")
    client.force_login(moderator)
    page = client.get(f"/events/{event.pk}/tracks/").content.decode()
    assert "Add the first" not in page
    assert "Your role cannot add tracks; an organizer of this event can." in page


def test_microlocations_are_rooms_in_the_pages_and_the_session_form(organizer, event):
    MicrolocationFactory(event=event, name="Hall A")
    page = organizer.get(f"/events/{event.pk}/microlocations/").content.decode()
    form = organizer.get(f"/events/{event.pk}/sessions/new/").content.decode()
    assert '<h1 class="h3 mb-0">Rooms</h1>' in page
    assert "Microlocation" not in page + form
    assert '<label class="form-label" for="id_microlocation">Room</label>' in form


def test_the_public_page_shows_sponsor_logos_by_level(client):
    event = EventFactory(state=Event.PUBLISHED)
    gold = SponsorFactory(event=event, name="Acme", level="Gold", url="https://acme.example/")
    gold.logo.save("acme.webp", ContentFile(image_bytes("WEBP", (200, 100))), save=True)
    SponsorFactory(event=event, name="Plain Co", level="Silver")
    page = client.get(event.get_absolute_url()).content.decode()
    assert f'<img class="sponsor-logo" src="{gold.logo.url}" alt="Acme" loading="lazy">' in page
    assert '<a href="https://acme.example/" rel="nofollow noopener" class="d-inline-block">' in page
    assert '<span class="sponsor-name">Plain Co</span>' in page
    assert page.index(">Gold</h3>") < page.index(">Silver</h3>")


@pytest.mark.parametrize("times", [{}, {"starts_at": "2027-01-02 10:00"}, {"ends_at": "2027-01-02 11:00"}])
def test_a_session_without_its_times_is_a_form_error(organizer, event, times):
    # Finding (browser walk): a new session with no start or end was a 500 (its clean() compared None with the
    # event's dates); the form now says which time is missing, and nothing is saved.
    response = organizer.post(f"/events/{event.pk}/sessions/new/", {"title": "Keynote", "state": "draft", **times})
    assert response.status_code == 200
    missing = {"starts_at", "ends_at"} - set(times)
    assert response.context["form"].errors == {field: ["This field is required."] for field in missing}
    assert event.sessions.count() == 0


def test_the_form_pages_say_what_they_add_or_edit(organizer, event):
    # Finding (browser walk): the session form had no heading; only the breadcrumb said "New".
    track = TrackFactory(event=event, name="Main hall")
    new = organizer.get(f"/events/{event.pk}/sessions/new/").content.decode()
    edit = organizer.get(f"/events/{event.pk}/tracks/{track.pk}/edit/").content.decode()
    room = organizer.get(f"/events/{event.pk}/microlocations/new/").content.decode()
    assert '<h1 class="h3 mb-3">New session</h1>' in new
    assert '<h1 class="h3 mb-3">Edit track: Main hall</h1>' in edit
    assert '<h1 class="h3 mb-3">New room</h1>' in room


@pytest.mark.parametrize("speaker_id", ["9223372036854775808", "-99999999999999999999"])
def test_a_speaker_beyond_any_id_is_a_form_error_not_a_500(organizer, event, speaker_id):
    """Finding (an attacker's probe): an out-of-range id among a session's speakers made an OverflowError on SQLite."""
    from events.models import Session

    page = organizer.post(
        f"/events/{event.pk}/sessions/new/",
        {"title": "T", "state": "draft", "speakers": [speaker_id]},
    )
    assert (page.status_code, page.context["form"].errors["speakers"]) == (
        200,
        [f"Select a valid choice. {speaker_id} is not one of the available choices."],
    )
    assert Session.objects.count() == 0


def test_new_tracks_are_offered_a_colour_their_event_does_not_have_yet(organizer, event, api_for):
    """Finding (a browser walk): every new track was #0d6efd, so "Web" and "Data" looked alike on the schedule."""
    from events.models import TRACK_COLORS, Track

    TrackFactory(event=event, color="#0D6EFD")
    TrackFactory(event=EventFactory(), color="#198754")  # another event's colours are no concern
    page = organizer.get(f"/events/{event.pk}/tracks/new/")
    assert page.context["form"]["color"].value() == "#198754"

    api = api_for(event.created_by)
    created = api.post(f"/api/v1/events/{event.pk}/tracks/", {"name": "Data"}, format="json")
    chosen = api.post(f"/api/v1/events/{event.pk}/tracks/", {"name": "Ops", "color": "#198754"}, format="json")
    assert (created.json()["color"], chosen.json()["color"]) == ("#198754", "#198754")
    assert organizer.get(f"/events/{event.pk}/tracks/new/").context["form"]["color"].value() == "#dc3545"

    for number in range(len(TRACK_COLORS)):
        Track.objects.create(event=event, name=f"More {number}", color=TRACK_COLORS[number])
    # Every colour taken: the palette in turn, by how many tracks there are.
    assert Track.next_color(event) == TRACK_COLORS[(3 + len(TRACK_COLORS)) % len(TRACK_COLORS)]
