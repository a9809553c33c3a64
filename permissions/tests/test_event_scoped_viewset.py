"""The base of the event-scoped API views: what it declares, pages, creates and deletes, checked by effect."""

import pytest
from rest_framework.test import APIClient

from core.tests.factories import UserFactory
from events.models import Track
from events.tests.factories import EventFactory, SessionFactory, SpeakerFactory, TrackFactory
from permissions.drf import EventScopedViewMixin
from permissions.models import RolePermission
from permissions.names import TRACK_ORGANIZER, UnknownName
from permissions.tests.factories import EventRoleFactory


def test_a_view_naming_an_unknown_service_or_operation_is_refused_when_declared():
    with pytest.raises(UnknownName, match="Unknown service 'tracksss'"):
        type("Misnamed", (EventScopedViewMixin,), {"service": "tracksss"})
    with pytest.raises(UnknownName, match="'publishh'"):
        type("Misnamed", (EventScopedViewMixin,), {"service": "event", "operations": {"publish": "publishh"}})
    assert type("Named", (EventScopedViewMixin,), {"service": "track"}).service == "track"


@pytest.mark.django_db
@pytest.mark.parametrize("sessions", [1, 3])
def test_a_page_reads_its_speakers_ids_in_one_query(sessions, django_assert_num_queries):
    event = EventFactory()
    for number in range(sessions):
        SessionFactory(event=event, title=f"S{number}").speakers.set(
            [SpeakerFactory(event=event), SpeakerFactory(event=event)]
        )
    api = APIClient()
    api.force_authenticate(event.created_by)
    # the event with permissions and counters, the page, the speakers' ids of the whole page
    with django_assert_num_queries(3):
        body = api.get(f"/api/v1/events/{event.pk}/sessions/").json()
    assert [len(row["speakers"]) for row in body["results"]] == [2] * sessions


@pytest.mark.django_db
def test_a_created_object_answers_with_its_location_and_etag():
    event = EventFactory()
    api = APIClient()
    api.force_authenticate(event.created_by)
    response = api.post(f"/api/v1/events/{event.pk}/tracks/", {"name": "Web", "color": "#123456"}, format="json")
    track = Track.objects.get(event=event, name="Web")
    assert response.status_code == 201
    assert response["Location"] == f"http://testserver/api/v1/events/{event.pk}/tracks/{track.pk}/"
    assert response["ETag"] == api.get(response["Location"])["ETag"]


@pytest.mark.django_db
def test_a_track_organizer_deletes_in_their_track_only():
    RolePermission.objects.filter(role__name=TRACK_ORGANIZER, service__name="track").update(can_delete=True)
    event = EventFactory()
    own, other = TrackFactory(event=event, name="Own"), TrackFactory(event=event, name="Other")
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=TRACK_ORGANIZER, tracks=[own])
    api = APIClient()
    api.force_authenticate(member)

    assert api.delete(f"/api/v1/events/{event.pk}/tracks/{other.pk}/").status_code == 404
    assert api.delete(f"/api/v1/events/{event.pk}/tracks/{own.pk}/").status_code == 204
    assert list(Track.objects.filter(event=event).values_list("name", flat=True)) == ["Other"]
