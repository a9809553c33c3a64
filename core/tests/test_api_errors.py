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
