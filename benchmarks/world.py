"""The data every benchmark measures against, created once per run in the benchmark database."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from rest_framework.authtoken.models import Token

from events.models import Event, Microlocation, Session, Speaker, Track
from events.services import create_event
from tickets.models import Ticket

SESSIONS = 50  # the list the API benchmarks read
LOAD_USERS = 8  # organizers of the load test, one event each
SOCKET_USERS = 1000  # notify() fans out to all of them; some hold sockets
# The schedule benchmark's event has the shape of benchmarks/pretalx_seed.py's (the peer's):
# 50 confirmed talks of 30 minutes with 15 between them, round-robin in 5 rooms, one speaker each.
SCHEDULE_SLUG, SCHEDULE_TALKS, SCHEDULE_ROOMS, TALK_MINUTES, BREAK_MINUTES = "benchconf", 50, 5, 30, 15


@dataclass
class LoadUser:
    token: str
    event_id: int
    track_id: int


@dataclass
class World:
    organizer_token: str
    event_id: int
    schedule_slug: str
    socket_user_ids: list
    socket_cookies: list  # one session per socket user, in the same order
    load_users: list = field(default_factory=list)


def session_cookie(user):
    """Return a Cookie header value with a new session of the user, stored like a login stores it."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "eventsite.backends.EmailBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"sessionid={store.session_key}"


def new_event(user, name):
    starts = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    return create_event(user=user, name=name, starts_at=starts, ends_at=starts + timedelta(days=2))


def seeded_event(organizer, name, *, sessions=SESSIONS):
    """Return a published event with tracks, speakers, tickets and ``sessions`` sessions."""
    event = new_event(organizer, name)
    tracks = [Track.objects.create(event=event, name=f"Track {number}") for number in range(4)]
    speakers = Speaker.objects.bulk_create(
        [Speaker(event=event, name=f"Speaker {number}", bio="A talk about things. " * 10) for number in range(sessions)]
    )
    created = Session.objects.bulk_create(
        [
            Session(
                event=event,
                title=f"Session {number}",
                abstract="What this session is about. " * 8,
                track=tracks[number % len(tracks)],
                starts_at=event.starts_at + timedelta(minutes=30 * number),
                ends_at=event.starts_at + timedelta(minutes=30 * number + 25),
                state=Session.CONFIRMED,
            )
            for number in range(sessions)
        ]
    )
    Session.speakers.through.objects.bulk_create(
        [Session.speakers.through(session_id=s.pk, speaker_id=p.pk) for s, p in zip(created, speakers, strict=True)]
    )
    Ticket.objects.bulk_create(
        [Ticket(event=event, name=f"Ticket {number}", quantity=100, position=number) for number in range(5)]
    )
    event.state = Event.PUBLISHED
    event.save()
    return event, tracks


def schedule_event(organizer):
    """Return a published event shaped like the pretalx peer's: rooms, tracks, 50 confirmed talks with speakers."""
    starts = (timezone.now() + timedelta(days=30)).replace(hour=0, minute=0, second=0, microsecond=0)
    event = create_event(
        user=organizer, name="BenchConf", slug=SCHEDULE_SLUG, starts_at=starts, ends_at=starts + timedelta(days=1)
    )
    rooms = [
        Microlocation.objects.create(event=event, name=f"Room {number}") for number in range(1, SCHEDULE_ROOMS + 1)
    ]
    tracks = [Track.objects.create(event=event, name=f"Track {number}") for number in range(1, 5)]
    speakers = Speaker.objects.bulk_create(
        [
            Speaker(event=event, name=f"Speaker {number}", bio=f"Speaker {number} talks about benchmarks.")
            for number in range(1, SCHEDULE_TALKS + 1)
        ]
    )
    first = starts + timedelta(hours=9)
    talks = Session.objects.bulk_create(
        [
            Session(
                event=event,
                title=f"Talk {number}: measuring things",
                abstract=f"Abstract of talk {number}.",
                track=tracks[index % len(tracks)],
                microlocation=rooms[index % len(rooms)],
                starts_at=first + (index // len(rooms)) * timedelta(minutes=TALK_MINUTES + BREAK_MINUTES),
                ends_at=first
                + (index // len(rooms)) * timedelta(minutes=TALK_MINUTES + BREAK_MINUTES)
                + timedelta(minutes=TALK_MINUTES),
                state=Session.CONFIRMED,
            )
            for index, number in enumerate(range(1, SCHEDULE_TALKS + 1))
        ]
    )
    Session.speakers.through.objects.bulk_create(
        [Session.speakers.through(session_id=t.pk, speaker_id=p.pk) for t, p in zip(talks, speakers, strict=True)]
    )
    event.state = Event.PUBLISHED
    event.save()
    return event


def build(*, socket_user_count=SOCKET_USERS):
    """Create the world (about 1,000 users, 10 events) and return what the scripts need of it."""
    users = get_user_model()
    organizer = users.objects.create_user("organizer@bench.example", "organizer@bench.example", None)
    event, _tracks = seeded_event(organizer, "Benchmark Conf")
    world = World(
        organizer_token=Token.objects.create(user=organizer).key,
        event_id=event.pk,
        schedule_slug=schedule_event(organizer).slug,
        socket_user_ids=[],
        socket_cookies=[],
    )
    for number in range(LOAD_USERS):
        user = users.objects.create_user(f"load{number}@bench.example", f"load{number}@bench.example", None)
        own, tracks = seeded_event(user, f"Load Conf {number}", sessions=20)
        world.load_users.append(LoadUser(Token.objects.create(user=user).key, own.pk, tracks[0].pk))
    socket_users = users.objects.bulk_create(
        [
            users(username=f"socket{number}@bench.example", email=f"socket{number}@bench.example", password="!")
            for number in range(socket_user_count)
        ]
    )
    world.socket_user_ids = [user.pk for user in socket_users]
    world.socket_cookies = [session_cookie(user) for user in socket_users[:500]]
    return world
