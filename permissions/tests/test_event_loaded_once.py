"""Every event-scoped page and API GET reads the event row once: with the user's permissions, by the door."""

import re

import pytest

from events.models import Event
from events.tests.factories import EventFactory, SessionFactory, SpeakerFactory, TrackFactory
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
SUBQUERY = re.compile(r"\([^()]*\)")


def event_row_reads(queries):
    """Count the statements that read events_event itself (FROM or JOIN), subqueries left out."""
    count = 0
    for query in queries:
        sql = query["sql"]
        while SUBQUERY.search(sql):
            sql = SUBQUERY.sub("", sql)
        count += len(re.findall(r'(?:FROM|JOIN) "events_event"', sql))
    return count


@pytest.fixture
def world():
    event = EventFactory(state=Event.PUBLISHED)
    track = TrackFactory(event=event)
    session = SessionFactory(event=event, track=track)
    session.speakers.add(SpeakerFactory(event=event))
    TicketFactory(event=event)
    return event, track, session


# (URL, queries): the user (the session comes from the cache), the event with the permissions, then what
# the page shows.
HTML_PAGES = [
    ("/events/{event}/", 5),
    ("/events/{event}/edit/", 3),
    ("/events/{event}/tracks/", 5),
    ("/events/{event}/tracks/new/", 4),  # and the colours its tracks have (Track.next_color)
    ("/events/{event}/tracks/{track}/edit/", 4),
    ("/events/{event}/sessions/{session}/edit/", 8),
    ("/events/{event}/wizard/tickets/", 5),
    ("/events/{event}/wizard/review/", 5),
    ("/roles/events/{event}/team/", 8),  # the matrix, read as it is now, for the roles in words
    ("/e/{slug}/", 8),
    ("/e/{slug}/availability/", 4),
    ("/events/{event}/orders/", 7),
]
API_GETS = [
    ("/api/v1/events/{event}/", 1),
    ("/api/v1/events/{event}/versions/", 2),
    ("/api/v1/events/{event}/tracks/", 2),
    ("/api/v1/events/{event}/tracks/{track}/", 2),
    ("/api/v1/events/{event}/sessions/", 3),
    ("/api/v1/events/{event}/tickets/", 2),
    ("/api/v1/events/{event}/roles/", 3),
    ("/api/v1/events/{event}/orders/", 4),
]


def fill(url, world):
    event, track, session = world
    return url.format(event=event.pk, slug=event.slug, track=track.pk, session=session.pk)


@pytest.mark.parametrize(("url", "queries"), HTML_PAGES)
def test_each_page_reads_the_event_once(client, world, url, queries, django_assert_num_queries):
    client.force_login(world[0].created_by)
    with django_assert_num_queries(queries) as captured:
        assert client.get(fill(url, world)).status_code == 200
    assert event_row_reads(captured.captured_queries) == 1


@pytest.mark.parametrize(("url", "queries"), API_GETS)
def test_each_api_get_reads_the_event_once(api_for, world, url, queries, django_assert_num_queries):
    api = api_for(world[0].created_by)
    with django_assert_num_queries(queries) as captured:
        assert api.get(fill(url, world)).status_code == 200
    assert event_row_reads(captured.captured_queries) == 1


def test_the_counter_sees_joins_and_leaves_subqueries_out():
    queries = [
        {"sql": 'SELECT "a" FROM "events_event" WHERE "id" = 1'},
        {"sql": 'SELECT "t" FROM "tickets_ticket" INNER JOIN "events_event" ON (x = y)'},
        {"sql": 'SELECT (SELECT 1 FROM "events_event") FROM "events_track"'},
    ]
    assert event_row_reads(queries) == 2


@pytest.mark.django_db
def test_counters_not_read_with_the_event_are_read_in_one_query(django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    from core.counters import read_counters
    from core.versioning import forget_loaded_counters
    from events.api import TrackViewSet
    from permissions.engine import load_event

    event = EventFactory()
    TrackFactory(event=event)
    keys = [f"event.{event.pk}.tracks", f"event.{event.pk}.sessions"]
    expected = tuple(read_counters(keys).values())
    assert expected[0] >= 1  # the track moved it
    view = TrackViewSet()
    view.event = load_event(AnonymousUser(), event.pk)

    with django_assert_num_queries(0):
        assert view.event_counters(keys) == expected
    forget_loaded_counters(view.event)  # as after a write of the request
    with django_assert_num_queries(1):
        assert view.event_counters(keys) == expected


def test_the_engine_reads_every_list_counter_of_the_event_with_it(django_assert_num_queries):
    """Each list's counter, member and public, comes with the event as stored; another event's stay out."""
    from core.models import VersionCounter
    from core.versioning import event_resources, loaded_counter
    from permissions.engine import load_event

    event, other = EventFactory(), EventFactory()
    keys = sorted(
        {resource.key(event.pk, public=public) for resource in event_resources().values() for public in (False, True)}
    )
    for number, key in enumerate(keys):
        VersionCounter.objects.update_or_create(key=key, defaults={"value": 100 + number})
        VersionCounter.objects.update_or_create(
            key=key.replace(f".{event.pk}.", f".{other.pk}.", 1), defaults={"value": 7}
        )

    with django_assert_num_queries(1):
        loaded = load_event(event.created_by, event.pk)
        counters = [loaded_counter(loaded, key) for key in keys]
    assert counters == [100 + number for number in range(len(keys))]
    assert any(".public" in key for key in keys) and len(keys) > len(event_resources())
    assert loaded_counter(loaded, keys[0].replace(f".{event.pk}.", f".{other.pk}.", 1)) is None
