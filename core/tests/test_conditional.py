"""ETag / If-None-Match (304) / If-Match (412) and the versions endpoint."""

from datetime import UTC, datetime

import pytest
from django.http import HttpResponse
from rest_framework import routers, serializers, viewsets
from rest_framework.test import APIClient

from core.conditional import ConditionalMixin, make_etag
from core.tests.factories import UserFactory
from core.versioning import EVERYONE, event_versions
from events.models import Event, Microlocation, Track
from events.tests.factories import EventFactory, MicrolocationFactory, TrackFactory
from permissions.models import RoleInvite
from permissions.names import MODERATOR
from permissions.services import invite
from permissions.tests.factories import EventRoleFactory


@pytest.fixture
def organizer_api(api_for, db):
    event = EventFactory()
    return event, api_for(event.created_by)


def test_list_304_costs_no_list_query(organizer_api, django_assert_num_queries):
    event, api = organizer_api
    TrackFactory(event=event)
    url = f"/api/v1/events/{event.pk}/tracks/"
    first = api.get(url)
    etag = first["ETag"]
    assert first.status_code == 200
    assert first["Vary"] == "Accept, Cookie, Authorization"
    # the event with the user's permissions and its counters (one query): the list's counter is among them
    with django_assert_num_queries(1):
        second = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert (second.status_code, second.content, second["ETag"]) == (304, b"", etag)


def test_list_etag_changes_after_any_write(organizer_api):
    event, api = organizer_api
    url = f"/api/v1/events/{event.pk}/tracks/"
    etag = api.get(url)["ETag"]
    track = TrackFactory(event=event)
    after_create = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert after_create.status_code == 200
    Track.objects.filter(pk=track.pk).update(name="Bulk renamed")
    assert api.get(url, HTTP_IF_NONE_MATCH=after_create["ETag"]).status_code == 200


def test_list_etag_differs_by_query_string(organizer_api):
    event, api = organizer_api
    url = f"/api/v1/events/{event.pk}/tracks/"
    assert api.get(url)["ETag"] != api.get(url + "?ordering=-name")["ETag"]


def test_list_etag_differs_between_member_and_public_reader(api_for, db):
    event = EventFactory(state="published")
    TrackFactory(event=event)
    url = f"/api/v1/events/{event.pk}/tracks/"
    assert api_for(event.created_by).get(url)["ETag"] != api_for(None).get(url)["ETag"]


def test_list_etag_differs_for_track_limited_member(api_for, db):
    event = EventFactory()
    track = TrackFactory(event=event)
    limited = EventRoleFactory(event=event, role="moderator", tracks=[track]).user
    url = f"/api/v1/events/{event.pk}/tracks/"
    assert api_for(event.created_by).get(url)["ETag"] != api_for(limited).get(url)["ETag"]


def test_detail_304_and_weak_match(organizer_api):
    event, api = organizer_api
    track = TrackFactory(event=event)
    url = f"/api/v1/events/{event.pk}/tracks/{track.pk}/"
    etag = api.get(url)["ETag"]
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert api.get(url, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    assert api.get(url, HTTP_IF_NONE_MATCH=f'"other", {etag}').status_code == 304
    assert api.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_if_match_current_etag_updates_and_returns_new_etag(organizer_api):
    event, api = organizer_api
    track = TrackFactory(event=event)
    url = f"/api/v1/events/{event.pk}/tracks/{track.pk}/"
    etag = api.get(url)["ETag"]
    response = api.patch(url, {"name": "Renamed"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response["ETag"] != etag
    assert api.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_if_match_stale_etag_is_412_and_changes_nothing(organizer_api):
    event, api = organizer_api
    track = TrackFactory(event=event, name="Original")
    url = f"/api/v1/events/{event.pk}/tracks/{track.pk}/"
    stale = api.get(url)["ETag"]
    api.patch(url, {"name": "First"}, format="json")
    response = api.patch(url, {"name": "Second"}, format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert response.json() == {"detail": "The resource has changed since you last read it (If-Match does not match)."}
    assert Track.objects.get(pk=track.pk).name == "First"
    assert api.delete(url, HTTP_IF_MATCH=stale).status_code == 412
    assert Track.objects.filter(pk=track.pk).count() == 1


def test_if_match_weak_etag_never_matches(organizer_api):
    event, api = organizer_api
    track = TrackFactory(event=event)
    url = f"/api/v1/events/{event.pk}/tracks/{track.pk}/"
    etag = api.get(url)["ETag"]
    assert api.patch(url, {"name": "x"}, format="json", HTTP_IF_MATCH=f"W/{etag}").status_code == 412


def test_if_match_star_and_absent_header_proceed(organizer_api):
    event, api = organizer_api
    track = TrackFactory(event=event)
    url = f"/api/v1/events/{event.pk}/tracks/{track.pk}/"
    assert api.patch(url, {"name": "Star"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    assert api.patch(url, {"name": "None"}, format="json").status_code == 200
    assert api.delete(url, HTTP_IF_MATCH="*").status_code == 204
    # * on a missing resource: there is no current representation.
    assert api.patch(url, {"name": "Gone"}, format="json", HTTP_IF_MATCH="*").status_code == 404


def test_event_detail_etag_moves_on_change(organizer_api):
    event, api = organizer_api
    url = f"/api/v1/events/{event.pk}/"
    etag = api.get(url)["ETag"]
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    updated = api.patch(url, {"description": "Now with words"}, format="json", HTTP_IF_MATCH=etag)
    assert updated.status_code == 200
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_versions_endpoint_reports_counters_with_etag(organizer_api):
    event, api = organizer_api
    url = f"/api/v1/events/{event.pk}/versions/"
    first = api.get(url)
    # A list never written is at 0; creating the event wrote the event and its organizer's role.
    assert first.json() == {
        "event": 1,
        "invites": 0,
        "microlocations": 0,
        "orders": 0,
        "roles": 1,
        "sessions": 0,
        "speakers": 0,
        "sponsors": 0,
        "tickets": 0,
        "tracks": 0,
        "webhooks": 0,
    }
    assert api.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    api.post(f"/api/v1/events/{event.pk}/tracks/", {"name": "Main"}, format="json")
    second = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200
    assert second.json()["tracks"] == 1


def test_versions_endpoint_hides_draft_from_strangers(api_for, user):
    event = EventFactory()
    assert api_for(user).get(f"/api/v1/events/{event.pk}/versions/").status_code == 404


def test_staff_event_list_etag(api_for, db):
    from core.tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    api = api_for(staff)
    etag = api.get("/api/v1/events/")["ETag"]
    assert api.get("/api/v1/events/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    EventFactory()
    assert api.get("/api/v1/events/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_my_events_etag_moves_when_a_role_changes(api_for, user):
    event = EventFactory()
    role = EventRoleFactory(user=user, event=event, role="moderator")
    api = api_for(user)
    etag = api.get("/api/v1/me/events/")["ETag"]
    assert api.get("/api/v1/me/events/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    from permissions.services import change_role

    change_role(event_role=role, role_name="coorganizer", changed_by=event.created_by)
    response = api.get("/api/v1/me/events/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["results"][0]["roles"] == ["coorganizer"]


def test_post_answers_with_the_new_objects_etag(organizer_api):
    event, api = organizer_api
    created = api.post(f"/api/v1/events/{event.pk}/tracks/", {"name": "Main"}, format="json")
    assert created.status_code == 201
    read = api.get(f"/api/v1/events/{event.pk}/tracks/{created.json()['id']}/")
    assert created["ETag"] == read["ETag"]


FRESH_AT = datetime(2026, 5, 4, 10, 30, 15, 500000, tzinfo=UTC)
HTTP_DATE = "Mon, 04 May 2026 10:30:15 GMT"  # FRESH_AT to the second


@pytest.mark.parametrize(
    ("headers", "last_modified", "fresh"),
    [
        ({}, FRESH_AT, False),
        ({"HTTP_IF_NONE_MATCH": '"abc"'}, None, True),
        ({"HTTP_IF_NONE_MATCH": 'W/"abc"'}, None, True),
        ({"HTTP_IF_NONE_MATCH": '"other"'}, None, False),
        # If-None-Match decides when sent, even if If-Modified-Since would say fresh.
        ({"HTTP_IF_NONE_MATCH": '"other"', "HTTP_IF_MODIFIED_SINCE": HTTP_DATE}, FRESH_AT, False),
        ({"HTTP_IF_MODIFIED_SINCE": HTTP_DATE}, FRESH_AT, True),  # the same second
        ({"HTTP_IF_MODIFIED_SINCE": "Mon, 04 May 2026 10:30:14 GMT"}, FRESH_AT, False),
        ({"HTTP_IF_MODIFIED_SINCE": "Mon, 04 May 2026 10:30:16 GMT"}, FRESH_AT, True),
        ({"HTTP_IF_MODIFIED_SINCE": HTTP_DATE}, None, False),  # nothing to compare with
        ({"HTTP_IF_MODIFIED_SINCE": "yesterday"}, FRESH_AT, False),
    ],
)
def test_is_fresh(rf, headers, last_modified, fresh):
    from core.conditional import is_fresh  # after the settings: core.api is the REST framework's parser setting

    assert is_fresh(rf.get("/", **headers), '"abc"', last_modified) is fresh


def test_set_validators_names_etag_last_modified_and_cache_control():
    from core.conditional import set_validators

    response = set_validators(HttpResponse(), '"abc"', FRESH_AT, cache_control="public, max-age=60")
    assert response.headers == {
        "Content-Type": "text/html; charset=utf-8",
        "ETag": '"abc"',
        "Last-Modified": HTTP_DATE,
        "Cache-Control": "public, max-age=60",
    }
    bare = set_validators(HttpResponse(), '"abc"')
    assert bare.headers == {"Content-Type": "text/html; charset=utf-8", "ETag": '"abc"'}


def test_patch_without_if_match_queues_on_the_row_and_with_it_does_not(organizer_api, django_assert_num_queries):
    """Without If-Match the write locks the row and reads it again (a concurrent writer goes first, nothing lost):
    two queries more. With If-Match it does not wait: the version claim of the save refuses a lost race (412)."""
    event, api = organizer_api
    track = TrackFactory(event=event)
    url = f"/api/v1/events/{event.pk}/tracks/{track.pk}/"
    # Both include the new name's check (core.names): one query.
    with django_assert_num_queries(13):
        assert api.patch(url, {"name": "Plain"}, format="json").status_code == 200
    etag = api.get(url)["ETag"]
    with django_assert_num_queries(11):
        assert api.patch(url, {"name": "Matched"}, format="json", HTTP_IF_MATCH=etag).status_code == 200


def test_delete_with_the_current_etag_claims_that_row_only(organizer_api):
    event, api = organizer_api
    gone, kept = TrackFactory(event=event, name="Gone"), TrackFactory(event=event, name="Kept")
    url = f"/api/v1/events/{event.pk}/tracks/{gone.pk}/"

    assert api.delete(url, HTTP_IF_MATCH=api.get(url)["ETag"]).status_code == 204
    assert list(Track.objects.filter(event=event).values_list("name", "version")) == [("Kept", 1)]
    assert kept.version == 1


def test_a_412_carries_the_current_etag(organizer_api):
    event, api = organizer_api
    track = TrackFactory(event=event)
    url = f"/api/v1/events/{event.pk}/tracks/{track.pk}/"
    stale = api.get(url)["ETag"]
    current = api.patch(url, {"name": "First"}, format="json")["ETag"]

    refused = api.delete(url, HTTP_IF_MATCH=stale)
    assert (refused.status_code, refused["ETag"]) == (412, current)


def test_put_needs_every_field_and_a_bad_value_is_a_400(organizer_api):
    event, api = organizer_api
    track = TrackFactory(event=event, name="Web", color="#111111")
    url = f"/api/v1/events/{event.pk}/tracks/{track.pk}/"

    missing = api.put(url, {"color": "#222222"}, format="json")
    assert (missing.status_code, missing.json()) == (400, {"name": ["This field is required."]})
    bad = api.patch(url, {"name": ""}, format="json")
    assert (bad.status_code, bad.json()) == (400, {"name": ["This field may not be blank."]})
    assert Track.objects.filter(pk=track.pk).values_list("name", "color", "version").get() == ("Web", "#111111", 1)


def test_a_detail_answers_its_representation_and_a_star_is_a_304(organizer_api):
    event, api = organizer_api
    track = TrackFactory(event=event, name="Web")
    url = f"/api/v1/events/{event.pk}/tracks/{track.pk}/"

    assert (api.get(url).json()["id"], api.get(url).json()["name"]) == (track.pk, "Web")
    assert api.get(url, HTTP_IF_NONE_MATCH="*").status_code == 304


def test_a_created_event_answers_with_its_location_and_etag(api_for, user):
    api = api_for(user)
    created = api.post(
        "/api/v1/events/",
        {"name": "Conf", "slug": "conf", "starts_at": "2030-05-04T09:00:00Z", "ends_at": "2030-05-05T17:00:00Z"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    location = f"http://testserver/api/v1/events/{created.json()['id']}/"
    assert (created["Location"], created["ETag"]) == (location, api.get(location)["ETag"])
    # So a client may change it at once with the tag it got (before: 412, the tag made with the site's permissions).
    changed = api.patch(location, {"name": "Conf 2"}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert (changed.status_code, changed.json()["name"]) == (200, "Conf 2")


def test_make_etag_is_a_strong_tag_of_32_hex_digits_the_same_in_every_process():
    # A literal: a client's tag stays good across workers and restarts (no per-process hash() in it).
    assert make_etag("object", ("Track", 7, 2), ("member", (), None)) == '"26a0655bc72e7096a0241378b32f082d"'


def test_a_public_reader_does_not_get_a_304_for_a_members_etag_of_the_event(api_for, db):
    event = EventFactory(state="published")
    url = f"/api/v1/events/{event.pk}/"
    member = api_for(event.created_by).get(url)
    public = api_for(None).get(url, HTTP_IF_NONE_MATCH=member["ETag"])
    assert public.status_code == 200
    assert public.json()["id"] == event.pk
    assert api_for(None).get(url, HTTP_IF_NONE_MATCH=public["ETag"]).status_code == 304


def test_a_list_etag_never_matches_the_same_list_of_another_event(api_for, user):
    first, second = EventFactory(created_by=user), EventFactory(created_by=user)
    TrackFactory(event=first, name="Web")
    TrackFactory(event=second, name="Data")
    api = api_for(user)
    etag = api.get(f"/api/v1/events/{first.pk}/tracks/")["ETag"]
    other = api.get(f"/api/v1/events/{second.pk}/tracks/", HTTP_IF_NONE_MATCH=etag)
    assert other.status_code == 200
    assert [track["name"] for track in other.json()["results"]] == ["Data"]


def test_an_objects_etag_never_matches_another_kind_of_object_with_its_id(organizer_api):
    event, api = organizer_api
    track, room = TrackFactory(event=event, pk=900), MicrolocationFactory(event=event, pk=900, name="Hall A")
    etag = api.get(f"/api/v1/events/{event.pk}/tracks/{track.pk}/")["ETag"]
    url = f"/api/v1/events/{event.pk}/microlocations/{room.pk}/"

    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert api.patch(url, {"name": "Hall B"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    assert Microlocation.objects.filter(pk=room.pk).values_list("name", "version").get() == ("Hall A", 1)


def test_cancelling_an_invite_with_if_match_claims_its_version_first(organizer_api):
    event, api = organizer_api
    matched, _token = invite(event=event, email="a@example.com", role_name=MODERATOR, invited_by=event.created_by)
    plain, _token = invite(event=event, email="b@example.com", role_name=MODERATOR, invited_by=event.created_by)
    url = f"/api/v1/events/{event.pk}/invites/{matched.pk}/"
    etag = api.get(url)["ETag"]

    assert api.delete(url, HTTP_IF_MATCH=etag).status_code == 204
    assert api.delete(f"/api/v1/events/{event.pk}/invites/{plain.pk}/").status_code == 204
    # With If-Match the claim moves the version (1 -> 2) before the cancel does (2 -> 3); without it only the cancel.
    assert set(RoleInvite.objects.filter(event=event).values_list("email", "state", "version")) == {
        ("a@example.com", "cancelled", 3),
        ("b@example.com", "cancelled", 2),
    }
    cancelled = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert (cancelled.status_code, cancelled.json()["state"]) == (200, "cancelled")


class PlainTrackSerializer(serializers.ModelSerializer):
    class Meta:
        model = Track
        fields = ["id", "event", "name"]


class PlainTrackViewSet(ConditionalMixin, viewsets.ModelViewSet):
    """Built from the mixins alone: its POST is saved by ConditionalWriteMixin.perform_create."""

    queryset = Track.objects.all()
    serializer_class = PlainTrackSerializer


router = routers.SimpleRouter()
router.register("plain-tracks", PlainTrackViewSet, basename="plain-track")
urlpatterns = router.urls


@pytest.mark.urls(__name__)
def test_a_viewset_of_the_mixins_alone_answers_a_post_with_the_location_and_etag(api_for, user):
    event = EventFactory()
    api = api_for(user)
    created = api.post("/plain-tracks/", {"event": event.pk, "name": "Main"}, format="json")
    location = f"http://testserver/plain-tracks/{Track.objects.get(name='Main').pk}/"
    assert (created.status_code, created["Location"], created["ETag"]) == (201, location, api.get(location)["ETag"])


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "stranger"])
def test_versions_endpoint_tells_the_public_only_the_public_counters(api_for, who):
    # Attacker's probe: anyone could poll a published event's orders, invites, roles and webhooks counters here, and
    # watch drafts and hidden tickets change; its socket hears the public counters only, and so does this now.
    event = EventFactory(state=Event.PUBLISHED)
    TrackFactory(event=event, name="Main")
    api = APIClient() if who == "anonymous" else api_for(UserFactory())
    url = f"/api/v1/events/{event.pk}/versions/"
    public = api.get(url)
    assert public.json() == event_versions(event.pk, audience=EVERYONE)
    assert set(public.json()) == {"event", "microlocations", "sessions", "speakers", "sponsors", "tickets", "tracks"}
    assert public.json()["tracks"] == 1
    members = api_for(event.created_by).get(url)
    assert set(members.json()) == set(public.json()) | {"invites", "orders", "roles", "webhooks"}
    assert members["ETag"] != public["ETag"]
    assert api.get(url, HTTP_IF_NONE_MATCH=members["ETag"]).status_code == 200
