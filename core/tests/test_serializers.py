"""The serializer bases: ids of a many-to-many read for a whole page, choices of the event only, UTC date-times."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from core.serializers import EventOwnedSerializer, prefetch_ids
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
    with django_assert_num_queries(5):  # the event with permissions, the list's counter, count, page, speaker ids
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
