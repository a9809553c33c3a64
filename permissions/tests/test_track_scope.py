"""A track organizer limited to track A cannot touch track B, through any door."""

import pytest

from core.tests.factories import UserFactory
from events.models import Track
from events.tests.factories import EventFactory, TrackFactory
from permissions.names import TRACK_ORGANIZER
from permissions.tests.factories import EventRoleFactory


@pytest.fixture
def limited(db):
    event = EventFactory()
    track_a = TrackFactory(event=event, name="A")
    track_b = TrackFactory(event=event, name="B")
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=TRACK_ORGANIZER, tracks=[track_a])
    return event, track_a, track_b, member


def test_api_lists_only_own_tracks(api_for, limited):
    event, _track_a, _track_b, member = limited
    response = api_for(member).get(f"/api/v1/events/{event.pk}/tracks/")
    assert [track["name"] for track in response.json()["results"]] == ["A"]


def test_api_updates_own_track_not_other(api_for, limited):
    event, track_a, track_b, member = limited
    api = api_for(member)
    assert (
        api.patch(f"/api/v1/events/{event.pk}/tracks/{track_a.pk}/", {"name": "A2"}, format="json").status_code == 200
    )
    assert (
        api.patch(f"/api/v1/events/{event.pk}/tracks/{track_b.pk}/", {"name": "B2"}, format="json").status_code == 404
    )
    assert sorted(Track.objects.values_list("name", flat=True)) == ["A2", "B"]


def test_html_lists_only_own_tracks(client, limited):
    event, _track_a, _track_b, member = limited
    client.force_login(member)
    response = client.get(f"/events/{event.pk}/tracks/")
    assert [str(track) for track in response.context["object_list"]] == ["A"]


@pytest.fixture
def sessions_for_track_organizers(db):
    """The super admin lets track organizers create and change sessions (their tracks' only)."""
    from permissions.models import RolePermission

    RolePermission.objects.filter(role__name=TRACK_ORGANIZER, service__name="session").update(
        can_create=True, can_read=True, can_update=True
    )


def session_json(event, track, title):
    from datetime import timedelta

    starts = event.starts_at + timedelta(hours=2)
    return {
        "title": title,
        "track": track.pk,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
    }


def session_form(event, track, title):
    from datetime import timedelta

    from permissions.tests.doors import local

    starts = event.starts_at + timedelta(hours=2)
    return {
        "title": title,
        "abstract": "",
        "state": "confirmed",
        "track": track.pk,
        "starts_at": local(starts, event),
        "ends_at": local(starts + timedelta(hours=1), event),
    }


def test_api_creates_and_moves_sessions_only_within_own_tracks(api_for, limited, sessions_for_track_organizers):
    from events.models import Session
    from events.tests.factories import SessionFactory

    event, track_a, track_b, member = limited
    api = api_for(member)
    url = f"/api/v1/events/{event.pk}/sessions/"

    assert api.post(url, session_json(event, track_a, "In A"), format="json").status_code == 201
    refused = api.post(url, session_json(event, track_b, "Into B"), format="json")
    assert (refused.status_code, refused.json()) == (403, {"detail": "Your role does not reach this track."})
    assert not Session.objects.filter(title="Into B").exists()
    own = Session.objects.get(title="In A")
    moved = api.patch(f"{url}{own.pk}/", {"track": track_b.pk}, format="json")
    assert (moved.status_code, moved.json()) == (403, {"detail": "Your role does not reach this track."})
    assert Session.objects.get(pk=own.pk).track_id == track_a.pk
    foreign = SessionFactory(event=event, track=track_b, title="In B")
    into_own = api.patch(f"{url}{foreign.pk}/", {"track": track_a.pk}, format="json")
    assert into_own.status_code == 404
    assert sorted(Session.objects.values_list("title", "track__name")) == [("In A", "A"), ("In B", "B")]


def test_html_creates_and_moves_sessions_only_within_own_tracks(client, limited, sessions_for_track_organizers):
    from events.models import Session
    from events.tests.factories import SessionFactory

    event, track_a, track_b, member = limited
    client.force_login(member)
    base = f"/events/{event.pk}/sessions/"

    assert client.post(f"{base}new/", session_form(event, track_a, "In A")).status_code == 302
    assert client.post(f"{base}new/", session_form(event, track_b, "Into B")).status_code == 403
    own = Session.objects.get(title="In A")
    assert client.post(f"{base}{own.pk}/edit/", session_form(event, track_b, "In A")).status_code == 403
    foreign = SessionFactory(event=event, track=track_b, title="In B")
    assert client.post(f"{base}{foreign.pk}/edit/", session_form(event, track_a, "In B")).status_code == 404
    assert sorted(Session.objects.values_list("title", "track__name")) == [("In A", "A"), ("In B", "B")]


def test_html_edits_own_track_and_the_other_stays_out_of_reach(client, limited):
    event, track_a, track_b, member = limited
    client.force_login(member)
    form = {"description": "", "color": "#123456", "location": ""}
    assert client.post(f"/events/{event.pk}/tracks/{track_a.pk}/edit/", {**form, "name": "A2"}).status_code == 302
    assert client.post(f"/events/{event.pk}/tracks/{track_b.pk}/edit/", {**form, "name": "B2"}).status_code == 404
    assert sorted(Track.objects.values_list("name", flat=True)) == ["A2", "B"]


def test_mixed_roles_in_two_events_reach_what_each_role_reaches(api_for, db):
    """Moderator of one event (reads every track), track organizer of another limited to one track."""
    from permissions.names import MODERATOR

    first, second = EventFactory(), EventFactory()
    first_tracks = [TrackFactory(event=first, name=name) for name in ("F1", "F2")]
    kept, other = TrackFactory(event=second, name="S1"), TrackFactory(event=second, name="S2")
    member = UserFactory()
    EventRoleFactory(user=member, event=first, role=MODERATOR)
    EventRoleFactory(user=member, event=second, role=TRACK_ORGANIZER, tracks=[kept])
    api = api_for(member)

    def names(event):
        return [track["name"] for track in api.get(f"/api/v1/events/{event.pk}/tracks/").json()["results"]]

    assert (names(first), names(second)) == (["F1", "F2"], ["S1"])
    renamed = {"name": "renamed"}
    assert (
        api.patch(f"/api/v1/events/{first.pk}/tracks/{first_tracks[0].pk}/", renamed, format="json").status_code == 403
    )
    assert api.patch(f"/api/v1/events/{second.pk}/tracks/{kept.pk}/", renamed, format="json").status_code == 200
    assert api.patch(f"/api/v1/events/{second.pk}/tracks/{other.pk}/", renamed, format="json").status_code == 404
    assert sorted(Track.objects.values_list("name", flat=True)) == ["F1", "F2", "S2", "renamed"]


def test_api_member_of_a_published_event_reads_their_tracks_as_a_member_and_the_rest_as_the_public(
    api_for, limited, sessions_for_track_organizers
):
    """A track organizer who reads sessions reads their track's as a member (drafts included), and what the public
    reads of the others: never less than the public (an attacker's probe found the track organizer's list
    shorter than an anonymous one)."""
    from events.models import Event
    from events.tests.factories import SessionFactory

    event, track_a, track_b, member = limited
    Event.objects.filter(pk=event.pk).update(state=Event.PUBLISHED)
    SessionFactory(event=event, track=track_a, title="Draft in A", state="draft")
    SessionFactory(event=event, track=track_b, title="Confirmed in B")
    member_titles = [
        row["title"] for row in api_for(member).get(f"/api/v1/events/{event.pk}/sessions/").json()["results"]
    ]
    public_titles = [
        row["title"] for row in api_for(None).get(f"/api/v1/events/{event.pk}/sessions/").json()["results"]
    ]
    assert (sorted(member_titles), public_titles) == (["Confirmed in B", "Draft in A"], ["Confirmed in B"])


def test_api_object_readable_but_not_writable_on_its_track_is_a_403(api_for, db):
    """Moderator of every track and track organizer of A: track B is read (so a refused PATCH is 403, not 404)."""
    from permissions.names import MODERATOR

    event = EventFactory()
    track_a, track_b = TrackFactory(event=event, name="A"), TrackFactory(event=event, name="B")
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=MODERATOR)
    EventRoleFactory(user=member, event=event, role=TRACK_ORGANIZER, tracks=[track_a])
    api = api_for(member)
    url = f"/api/v1/events/{event.pk}/tracks/"
    assert [row["name"] for row in api.get(url).json()["results"]] == ["A", "B"]
    assert api.patch(f"{url}{track_b.pk}/", {"name": "B2"}, format="json").status_code == 403
    assert api.patch(f"{url}{track_a.pk}/", {"name": "A2"}, format="json").status_code == 200
    assert sorted(Track.objects.values_list("name", flat=True)) == ["A2", "B"]


def test_api_track_organizer_reads_every_track_of_a_published_event_and_writes_their_own(api_for, limited):
    """Finding (an attacker's probe): dave, track organizer of one track, listed 1 track where anonymous
    visitors listed 3, and GET of another track was a 404 for him and a 200 for them."""
    from events.models import Event

    event, track_a, track_b, member = limited
    Event.objects.filter(pk=event.pk).update(state=Event.PUBLISHED)
    api, url = api_for(member), f"/api/v1/events/{event.pk}/tracks/"

    assert [row["name"] for row in api.get(url).json()["results"]] == ["A", "B"]
    assert api.get(f"{url}{track_b.pk}/").json()["name"] == "B"
    assert api.patch(f"{url}{track_b.pk}/", {"name": "B2"}, format="json").status_code == 403
    assert api.delete(f"{url}{track_b.pk}/").status_code == 403
    assert api.patch(f"{url}{track_a.pk}/", {"name": "A2"}, format="json").status_code == 200
    assert sorted(Track.objects.values_list("name", flat=True)) == ["A2", "B"]
