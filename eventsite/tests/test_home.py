from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from events.models import Event
from events.tests.factories import EventFactory
from permissions.tests.factories import EventRoleFactory


@pytest.mark.django_db
def test_home_lists_published_events_only(client):
    EventFactory(name="Public one", state=Event.PUBLISHED)
    EventFactory(name="Secret draft")
    response = client.get("/")
    assert [event.name for event in response.context["upcoming"]] == ["Public one"]
    assert "mine" not in response.context
    assert b"Secret draft" not in response.content


@pytest.mark.django_db
def test_home_lists_events_not_ended_yet_soonest_first(client):
    now = datetime.now(tz=ZoneInfo("UTC"))
    for name, starts, ends in (
        ("Last year", now - timedelta(days=365), now - timedelta(days=364)),
        ("Ended an hour ago", now - timedelta(hours=5), now - timedelta(hours=1)),
        ("Next month", now + timedelta(days=30), now + timedelta(days=31)),
        ("On now", now - timedelta(hours=1), now + timedelta(hours=1)),
        ("Tomorrow", now + timedelta(days=1), now + timedelta(days=2)),
    ):
        EventFactory(name=name, state=Event.PUBLISHED, starts_at=starts, ends_at=ends)
    response = client.get("/")
    assert [event.name for event in response.context["upcoming"]] == ["On now", "Tomorrow", "Next month"]
    assert b"Last year" not in response.content


@pytest.mark.django_db
def test_home_without_upcoming_events_says_so(client):
    now = datetime.now(tz=ZoneInfo("UTC"))
    EventFactory(name="Over", state=Event.PUBLISHED, starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1))
    assert "No upcoming events." in client.get("/").content.decode()


@pytest.mark.django_db
def test_home_lists_my_events_with_roles(client, user):
    mine = EventFactory(name="Mine", created_by=user)
    theirs = EventFactory(name="Theirs")
    EventRoleFactory(user=user, event=theirs, role="moderator")
    EventFactory(name="Not mine")
    client.force_login(user)
    response = client.get("/")
    assert [(event.name, [r.role.name for r in event.my_roles]) for event in response.context["mine"]] == [
        (mine.name, ["organizer"]),
        (theirs.name, ["moderator"]),
    ]


@pytest.mark.django_db
def test_home_queries_are_constant(client, user, django_assert_num_queries):
    for _ in range(3):
        EventFactory(created_by=user, state=Event.PUBLISHED)
    client.force_login(user)
    # user (the session comes from the cache), upcoming list, my events, my roles prefetch, is my address
    # verified, unread badge count
    with django_assert_num_queries(6):
        assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_base_page_uses_local_bootstrap(client):
    content = client.get("/").content.decode()
    assert "/static/vendor/bootstrap-5.3.9/bootstrap.min.css" in content
    assert "cdn" not in content.lower()


@pytest.mark.django_db
def test_public_page_lives_at_e_slug_and_the_old_address_redirects(client):
    event = EventFactory(state=Event.PUBLISHED, slug="summit")
    assert event.get_absolute_url() == "/e/summit/"
    assert client.get("/e/summit/").status_code == 200
    old = client.get("/events/e/summit/")
    assert (old.status_code, old["Location"]) == (301, "/e/summit/")


def test_favicon_is_served_from_the_static_files(client):
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (301, "/static/img/favicon.svg")
    assert 'rel="icon" href="/static/img/favicon.svg"' in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
def test_home_cards_show_times_in_the_events_own_zone_with_its_name(client):
    # 09:00 in Berlin is 07:00 UTC in summer: the card says what the event's own page says.
    starts = datetime(2031, 7, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    EventFactory(
        name="Summer summit",
        state=Event.PUBLISHED,
        timezone="Europe/Berlin",
        starts_at=starts,
        ends_at=starts + timedelta(hours=8),
    )
    card = client.get("/").content.decode()
    assert "1 Jul 2031, 09:00 (Europe/Berlin)" in card
    assert "07:00" not in card
