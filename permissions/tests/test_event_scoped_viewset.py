"""The base of the event-scoped API views: what it declares, pages, creates and deletes, checked by effect."""

import pytest
from django.http import Http404
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate

from core.tests.factories import UserFactory
from events.models import Event, Session, Track
from events.tests.factories import EventFactory, SessionFactory, SpeakerFactory, TrackFactory
from permissions.drf import EventScopedViewMixin, EventServicePermission
from permissions.models import RolePermission
from permissions.names import MODERATOR, TRACK_ORGANIZER, UnknownName
from permissions.tests.factories import EventRoleFactory


def grant(role, service, **flags):
    """Edit one matrix row as the super admin would: ``grant(MODERATOR, "event", update=True)``."""
    RolePermission.objects.filter(role__name=role, service__name=service).update(
        **{f"can_{operation}": value for operation, value in flags.items()}
    )


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
    grant(TRACK_ORGANIZER, "track", delete=True)
    event = EventFactory()
    own, other = TrackFactory(event=event, name="Own"), TrackFactory(event=event, name="Other")
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=TRACK_ORGANIZER, tracks=[own])
    api = APIClient()
    api.force_authenticate(member)

    assert api.delete(f"/api/v1/events/{event.pk}/tracks/{other.pk}/").status_code == 404
    assert api.delete(f"/api/v1/events/{event.pk}/tracks/{own.pk}/").status_code == 204
    assert list(Track.objects.filter(event=event).values_list("name", flat=True)) == ["Other"]


def view_of(viewset_class, user, method, event, **kwargs):
    """A viewset as DRF sets it up for one request by ``user`` (the permission checks are then called directly)."""
    request = getattr(APIRequestFactory(), method)("/")
    force_authenticate(request, user)
    view = viewset_class(action_map={method: "partial_update"})
    view.request = view.initialize_request(request)
    view.kwargs = {"event_pk": event.pk, **kwargs}
    view.action = "partial_update" if method == "patch" else "retrieve"
    view.format_kwarg = None
    return view


@pytest.mark.django_db
def test_extra_actions_and_methods_are_asked_as_the_operation_the_view_names(api_for):
    """Unpublishing is a POST and removing the background a DELETE: each is asked as an update of the event."""
    grant(MODERATOR, "event", update=True)  # read and update, no create or delete
    grant(TRACK_ORGANIZER, "event", create=True, delete=True)  # read, create and delete, no update
    event = EventFactory(state=Event.PUBLISHED)
    updater, other = UserFactory(), UserFactory()
    EventRoleFactory(user=updater, event=event, role=MODERATOR)
    EventRoleFactory(user=other, event=event, role=TRACK_ORGANIZER)
    background = f"/api/v1/events/{event.pk}/background/"

    refused = api_for(other).post(f"/api/v1/events/{event.pk}/unpublish/")
    assert (refused.status_code, Event.objects.get(pk=event.pk).state) == (403, Event.PUBLISHED)
    assert api_for(other).delete(background).status_code == 403
    assert api_for(updater).delete(background).json() == {"status": "ok", "background_url": None}
    unpublished = api_for(updater).post(f"/api/v1/events/{event.pk}/unpublish/")
    assert (unpublished.status_code, Event.objects.get(pk=event.pk).state) == (200, Event.DRAFT)


@pytest.mark.django_db
def test_a_method_the_list_does_not_route_is_405_even_for_a_reader_who_may_not_write(api_for):
    event = EventFactory()
    TrackFactory(event=event, name="Web")
    staff = api_for(UserFactory(is_staff=True))  # reads every event, writes none

    response = staff.put(f"/api/v1/events/{event.pk}/tracks/", {"name": "Other"}, format="json")
    assert (response.status_code, response.json()) == (405, {"detail": 'Method "PUT" not allowed.'})
    assert list(Track.objects.filter(event=event).values_list("name", flat=True)) == ["Web"]


@pytest.mark.django_db
def test_an_object_of_a_service_the_role_may_not_read_does_not_exist_for_it(api_for):
    grant(MODERATOR, "speaker", read=False)
    event = EventFactory()
    speaker = SpeakerFactory(event=event, name="Ada")
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=MODERATOR)

    response = api_for(member).patch(f"/api/v1/events/{event.pk}/speakers/{speaker.pk}/", {"name": "Eve"})
    assert (response.status_code, response.json()) == (404, {"detail": "No such object."})
    assert api_for(member).get(f"/api/v1/events/{event.pk}/speakers/").status_code == 403


@pytest.mark.django_db
def test_a_stranger_writing_to_a_published_event_is_refused_not_hidden(api_for):
    """The public reads a published event's tracks, so refusing a write hides nothing: 403, not 404."""
    event = EventFactory(state=Event.PUBLISHED)
    track = TrackFactory(event=event, name="Web")

    response = api_for(UserFactory()).patch(f"/api/v1/events/{event.pk}/tracks/{track.pk}/", {"name": "Eve"})
    assert (response.status_code, Track.objects.get(pk=track.pk).name) == (403, "Web")


@pytest.mark.django_db
def test_a_track_organizer_without_an_operation_is_refused_it_on_a_detail_route(api_for):
    """A role that reads some tracks and may not delete any: 403 on a track it reads (it exists for them)."""
    event = EventFactory()
    own = TrackFactory(event=event, name="Own")
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=TRACK_ORGANIZER, tracks=[own])

    response = api_for(member).delete(f"/api/v1/events/{event.pk}/tracks/{own.pk}/")
    assert (response.status_code, Track.objects.filter(pk=own.pk).exists()) == (403, True)


@pytest.mark.django_db
def test_object_checks_of_a_track_limited_role():
    """has_object_permission and may_read, asked directly: a track read but not written, and one not read."""
    from events.api import TrackViewSet

    event = EventFactory()
    own, other = TrackFactory(event=event, name="Own"), TrackFactory(event=event, name="Other")
    organizer_of_own = UserFactory()
    EventRoleFactory(user=organizer_of_own, event=event, role=TRACK_ORGANIZER, tracks=[own])
    both = UserFactory()  # moderator of every track (reads them all), track organizer of one (writes it)
    EventRoleFactory(user=both, event=event, role=MODERATOR)
    EventRoleFactory(user=both, event=event, role=TRACK_ORGANIZER, tracks=[own])
    check = EventServicePermission()

    view = view_of(TrackViewSet, organizer_of_own, "patch", event, pk=other.pk)
    with pytest.raises(Http404, match=r"^No such object\.$"):
        check.has_object_permission(view.request, view, other)
    assert (view.may_read(track_id=own.pk), view.may_read(track_id=other.pk), view.may_read()) == (True, False, True)
    assert check.has_object_permission(view.request, view, own) is True

    view = view_of(TrackViewSet, both, "patch", event, pk=other.pk)
    assert check.has_object_permission(view.request, view, other) is False  # read, not written: 403
    assert check.has_object_permission(view.request, view, own) is True


def test_a_detail_route_is_named_by_the_views_lookup_kwarg():
    class BySlug(EventScopedViewMixin):
        lookup_url_kwarg, lookup_field = "slug", "pk"

    view = BySlug()
    view.kwargs = {"event_pk": 1, "slug": "web"}
    assert view.names_an_object() is True
    view.kwargs = {"event_pk": 1, "pk": 5}
    assert view.names_an_object() is False


@pytest.mark.django_db
def test_a_public_reader_sees_no_private_field_whatever_else_their_role_may_do(api_for):
    """A role that may update speakers but not read them reads a published event as the public does."""
    grant(MODERATOR, "speaker", read=False, update=True)
    event = EventFactory(state=Event.PUBLISHED)
    ada = SpeakerFactory(event=event, name="Ada", email="ada@example.com")
    SessionFactory(event=event).speakers.add(ada)
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=MODERATOR)

    rows = api_for(member).get(f"/api/v1/events/{event.pk}/speakers/").json()["results"]
    assert [(row["name"], "email" in row) for row in rows] == [("Ada", False)]


@pytest.mark.django_db
def test_a_list_etag_changes_when_the_readers_tracks_do(api_for):
    event = EventFactory()
    web, data = TrackFactory(event=event, name="Web"), TrackFactory(event=event, name="Data")
    member = UserFactory()
    role = EventRoleFactory(user=member, event=event, role=MODERATOR, tracks=[web])
    api, url = api_for(member), f"/api/v1/events/{event.pk}/tracks/"
    first = api.get(url)
    assert [row["name"] for row in first.json()["results"]] == ["Web"]

    role.tracks.add(data)
    after = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert (after.status_code, sorted(row["name"] for row in after.json()["results"])) == (200, ["Data", "Web"])


@pytest.mark.django_db
def test_a_public_list_etag_does_not_move_with_what_the_public_cannot_see(api_for):
    """A draft session is the team's: the public's ETag stays (a 304), the organizer's moves."""
    event = EventFactory(state=Event.PUBLISHED)
    SessionFactory(event=event, title="Keynote", state=Session.CONFIRMED)
    url = f"/api/v1/events/{event.pk}/sessions/"
    public, organizer = api_for(None), api_for(event.created_by)
    public_tag, organizer_tag = public.get(url)["ETag"], organizer.get(url)["ETag"]

    SessionFactory(event=event, title="Draft", state=Session.DRAFT)
    assert public.get(url, HTTP_IF_NONE_MATCH=public_tag).status_code == 304
    assert organizer.get(url, HTTP_IF_NONE_MATCH=organizer_tag).status_code == 200


@pytest.mark.django_db
def test_a_method_no_operation_names_is_asked_as_a_read(api_for):
    """TRACE reaches the background's view (not a viewset): asked as a read, then DRF's 405; unseen drafts 404."""
    event = EventFactory()
    url = f"/api/v1/events/{event.pk}/background/"
    assert api_for(event.created_by).generic("TRACE", url).status_code == 405
    assert api_for(UserFactory()).generic("TRACE", url).status_code == 404


@pytest.mark.django_db
def test_a_list_without_pages_shows_the_many_ids_too():
    from events.api import SessionViewSet

    class Unpaged(SessionViewSet):
        pagination_class = None

    event = EventFactory()
    speaker = SpeakerFactory(event=event)
    SessionFactory(event=event, title="Keynote").speakers.set([speaker])
    request = APIRequestFactory().get("/")
    force_authenticate(request, event.created_by)

    response = Unpaged.as_view({"get": "list"})(request, event_pk=event.pk)
    assert [(row["title"], row["speakers"]) for row in response.data] == [("Keynote", [speaker.pk])]
