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


def test_html_edits_own_track_not_other(client, limited):
    event, track_a, track_b, member = limited
    client.force_login(member)
    assert client.get(f"/events/{event.pk}/tracks/{track_a.pk}/edit/").status_code == 200
    assert client.get(f"/events/{event.pk}/tracks/{track_b.pk}/edit/").status_code == 404
    response = client.get(f"/events/{event.pk}/tracks/")
    assert [str(track) for track in response.context["object_list"]] == ["A"]
