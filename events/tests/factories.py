from datetime import timedelta

import factory
from django.utils import timezone

from core.tests.factories import UserFactory
from events.models import Event, Microlocation, Session, Speaker, Sponsor, Track
from events.services import create_event


def soon():
    return (timezone.now() + timedelta(days=30)).replace(microsecond=0, second=0)


class EventFactory(factory.django.DjangoModelFactory):
    """An event created the way users create one: its creator becomes organizer."""

    class Meta:
        model = Event

    name = factory.Sequence(lambda n: f"Event {n}")
    slug = factory.Sequence(lambda n: f"event-{n}")
    starts_at = factory.LazyFunction(soon)
    ends_at = factory.LazyAttribute(lambda event: event.starts_at + timedelta(days=2))
    created_by = factory.SubFactory(UserFactory)
    state = Event.DRAFT

    @classmethod
    def _create(cls, model_class, *args, created_by, state, **kwargs):
        event = create_event(user=created_by, **kwargs)
        if state != Event.DRAFT:
            event.state = state
            event.save()
        return event


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Track

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Track {n}")


class MicrolocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Microlocation

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Room {n}")


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Speaker

    event = factory.SubFactory(EventFactory)
    name = factory.Faker("name")


class SponsorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sponsor

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Sponsor {n}")
    level = "Gold"


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    # Public by default, as every session was before sessions had a state; drafts are asked for.
    state = Session.CONFIRMED
    starts_at = factory.LazyAttribute(lambda session: session.event.starts_at + timedelta(hours=1))
    ends_at = factory.LazyAttribute(lambda session: session.starts_at + timedelta(hours=1))
