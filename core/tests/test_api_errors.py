"""The API's exception handler: errors stay JSON; a value the database driver cannot hold is a 400, not a 500."""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from events.tests.factories import EventFactory, SessionFactory

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = {"detail": "A value in the request is out of range."}


@pytest.fixture
def api_and_event():
    event = EventFactory()
    SessionFactory(event=event)
    api = APIClient()
    api.force_authenticate(event.created_by)
    return api, event


@pytest.mark.parametrize("value", ["99999999999999999999", "-338656013965361757909155840"])
def test_filter_by_an_id_beyond_64_bits_is_400(api_and_event, value):
    api, event = api_and_event
    response = api.get(f"/api/v1/events/{event.pk}/sessions/", {"speakers": value})
    assert response.status_code == 400
    if connection.vendor == "sqlite":  # PostgreSQL's filter validation answers first, naming the field
        assert response.json() == OUT_OF_RANGE


def test_filter_by_a_datetime_before_year_one_in_utc_is_not_a_server_error(api_and_event):
    api, event = api_and_event
    response = api.get(f"/api/v1/events/{event.pk}/sessions/", {"starts_at__gte": "0001-01-01T00:00:00+07:42"})
    # SQLite's adapter converts to UTC in Python, which cannot go below year 1; PostgreSQL compares it.
    assert response.status_code == (400 if connection.vendor == "sqlite" else 200)


SURROGATE_REFUSED = {
    "detail": "JSON parse error - the text holds half of a surrogate pair (such as \\ud800 alone); "
    "send characters as UTF-8 or as whole pairs."
}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        # Each echoes the value or the key in its error: the renderer could not write it in UTF-8 (a 500).
        ("sessions/{session}/", '{"state": "\\ud800"}'),
        ("tracks/", '{"name": "Main", "\\udfff": 1}'),
        ("sessions/{session}/", '{"title": "Talk \\ud83d"}'),
    ],
)
def test_half_a_surrogate_pair_is_a_400_not_a_500(api_and_event, path, body):
    """Finding (an attacker's probe): {"state": "\\ud800"} made a 500 page from DRF's JSON renderer."""
    api, event = api_and_event
    url = f"/api/v1/events/{event.pk}/" + path.format(session=event.sessions.get().pk)
    response = api.generic("PATCH" if "{" in path else "POST", url, body, content_type="application/json")
    assert (response.status_code, response.json()) == (400, SURROGATE_REFUSED)


def test_a_whole_surrogate_pair_is_the_character_it_stands_for(api_and_event):
    api, event = api_and_event
    session = event.sessions.get()
    url = f"/api/v1/events/{event.pk}/sessions/{session.pk}/"
    response = api.generic("PATCH", url, '{"title": "Talk \\ud83d\\ude00"}', content_type="application/json")
    assert (response.status_code, response.json()["title"]) == (200, "Talk \N{GRINNING FACE}")
