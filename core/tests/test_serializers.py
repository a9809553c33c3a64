"""The serializer bases: ids of a many-to-many read for a whole page, choices of the event only, UTC date-times."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from core.serializers import EventOwnedSerializer, prefetch_ids
from core.tests.factories import UserFactory
from events.models import Session
from events.serializers import EventSerializer, SessionSerializer
from events.tests.factories import EventFactory, SessionFactory, SpeakerFactory

pytestmark = pytest.mark.django_db


def sessions_with_speakers(event, count):
    sessions = []
    for number in range(count):
        session = SessionFactory(event=event, title=f"Session {number}")
        # Created out of name order: the ids must come in the speakers' order (name, id).
        session.speakers.add(
            SpeakerFactory(event=event, name=f"Zoe {number}"), SpeakerFactory(event=event, name=f"Ada {number}")
        )
        sessions.append(session)
    return sessions


def test_prefetched_ids_are_what_the_relation_gives_in_one_query(django_assert_num_queries):
    event = EventFactory()
    sessions = sessions_with_speakers(event, 3)
    expected = [[speaker.pk for speaker in session.speakers.all()] for session in sessions]
    fresh = list(Session.objects.filter(event=event).order_by("id"))
    with django_assert_num_queries(1):
        prefetch_ids(fresh, "speakers")
        data = SessionSerializer(fresh, many=True, context={"event": event}).data
    assert [row["speakers"] for row in data] == expected
    assert [row["speakers"] for row in SessionSerializer(fresh[:1], many=True, context={"event": event}).data] == [
        expected[0]
    ]


def test_list_and_detail_show_the_same_speaker_ids(django_assert_num_queries):
    event = EventFactory()
    [first, *_others] = sessions_with_speakers(event, 3)
    api = APIClient()
    api.force_authenticate(event.created_by)
    # the event with permissions and counters, page, speaker ids (no COUNT: one page)
    with django_assert_num_queries(3):
        listed = api.get(f"/api/v1/events/{event.pk}/sessions/").json()["results"]
    detail = api.get(f"/api/v1/events/{event.pk}/sessions/{first.pk}/").json()
    assert listed[0]["speakers"] == detail["speakers"] == [speaker.pk for speaker in first.speakers.all()]


def test_related_choices_are_the_events_own():
    event, other = EventFactory(), EventFactory()
    ours, theirs = SpeakerFactory(event=event), SpeakerFactory(event=other)
    session = SessionFactory(event=event)
    data = {"speakers": [ours.pk, theirs.pk]}
    serializer = SessionSerializer(session, data=data, partial=True, context={"event": event})
    assert not serializer.is_valid()
    assert serializer.errors["speakers"] == [f'Invalid pk "{theirs.pk}" - object does not exist.']
    without_event = SessionSerializer(session, data={"speakers": [ours.pk]}, partial=True, context={})
    assert not without_event.is_valid()


def test_declared_related_field_outside_the_event_is_refused():
    class Loose(EventOwnedSerializer):
        related_event_fields = ("speakers",)
        speakers = serializers.PrimaryKeyRelatedField(many=True, queryset=Session.speakers.rel.model.objects.all())

        class Meta:
            model = Session
            fields = ["id", "speakers"]

    with pytest.raises(ImproperlyConfigured, match=r"Loose.speakers must be an EventScopedRelatedField"):
        Loose(context={}).fields  # noqa: B018 (building the fields is what fails)


def test_date_times_are_utc_whatever_the_current_time_zone():
    starts = datetime.datetime(2027, 3, 1, 9, 30, tzinfo=datetime.UTC)
    event = EventFactory(starts_at=starts, ends_at=starts + datetime.timedelta(days=1))
    with timezone.override("Europe/Berlin"):
        data = EventSerializer(event).data
    assert (data["starts_at"], data["ends_at"]) == ("2027-03-01T09:30:00Z", "2027-03-02T09:30:00Z")


def every_api_representation():
    """(serializer class, instance, context) for every model serializer of the API, on varied objects."""
    from events.queries import events_of_user
    from events.serializers import (
        MicrolocationSerializer,
        MyEventSerializer,
        SpeakerSerializer,
        SponsorSerializer,
        TrackSerializer,
    )
    from events.tests.factories import MicrolocationFactory, SponsorFactory, TrackFactory
    from notifications.models import Notification
    from notifications.serializers import NotificationSerializer
    from notifications.services import notify
    from permissions.serializers import EventRoleSerializer
    from permissions.tests.factories import EventRoleFactory
    from tickets.serializers import TicketSerializer
    from tickets.tests.factories import TicketFactory

    event = EventFactory(description="Two\nlines", location="")
    track = TrackFactory(event=event)
    room = MicrolocationFactory(event=event)
    [full, *_rest] = sessions_with_speakers(event, 1)
    full.track, full.microlocation = track, room
    full.save()
    bare = SessionFactory(event=event, track=None)
    member = EventRoleFactory(user=UserFactory(), event=event, role="track_organizer", tracks=[track])
    [notification] = notify(member.user, action=Notification.GENERAL, title="Hi", message="<p>Hi</p>")
    context = {"event": event}
    return [
        (EventSerializer, event, {}),
        (MyEventSerializer, events_of_user(event.created_by).get(), {}),
        (TrackSerializer, track, context),
        (MicrolocationSerializer, room, context),
        (SpeakerSerializer, full.speakers.first(), context),
        (SponsorSerializer, SponsorFactory(event=event), context),
        (SessionSerializer, Session.objects.get(pk=full.pk), context),
        (SessionSerializer, prefetch_ids([Session.objects.get(pk=bare.pk)], "speakers")[0], context),
        (TicketSerializer, TicketFactory(event=event, paid=True), context),
        (TicketSerializer, TicketFactory(event=event), context),
        (EventRoleSerializer, member, context),
        (NotificationSerializer, notification, {}),
    ]


def test_read_plan_represents_every_serializer_as_drf_does():
    from core.serializers import ModelSerializer

    for serializer_class, instance, context in every_api_representation():
        serializer = serializer_class(instance, context=context)
        drf = super(ModelSerializer, serializer).to_representation(instance)
        assert serializer.data == drf, serializer_class.__name__
        assert list(serializer.data) == list(drf), serializer_class.__name__  # same keys, same order


def test_each_serializer_binds_fields_of_its_own():
    first, second = SessionSerializer(), SessionSerializer()
    mine, theirs = first.fields, second.fields

    assert list(mine) == list(theirs)
    for name in mine:
        assert mine[name] is not theirs[name]
        assert (mine[name].parent, theirs[name].parent) == (first, second)
    # A field holding another (the speakers' ids) is deep-copied: its child is bound to it alone.
    assert mine["speakers"].child_relation is not theirs["speakers"].child_relation
    assert mine["speakers"].child_relation.parent is mine["speakers"]
    # A field copied as it is still has validators of its own.
    assert mine["title"].validators == theirs["title"].validators
    assert mine["title"].validators is not theirs["title"].validators
