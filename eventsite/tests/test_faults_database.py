"""The database connection dies in the middle of a write: a clean 503, nothing half-written, the server carries on.

A real gunicorn (the production HTTP server, one sync worker holding its
connection) on the PostgreSQL test database. The test holds a lock on the
list counter a write bumps last, waits until the worker's backend waits for
it (the object's row is already updated inside that transaction), then
terminates that backend with pg_terminate_backend(). The worker's next
request opens a new connection.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from rest_framework.authtoken.models import Token

from core.middleware import API_DETAIL
from core.models import VersionCounter
from core.tests.factories import UserFactory
from core.tests.live import (
    POSTGRES_AND_REDIS,
    backends_waiting_on_locks,
    connect_to_test_database,
    daphne_env,
    session_cookie,
)
from core.tests.processes import Gunicorn
from events.tests.factories import EventFactory, TrackFactory
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = [pytest.mark.faults, *POSTGRES_AND_REDIS, pytest.mark.django_db(transaction=True)]

CSRF = "a" * 32


@pytest.fixture
def web(settings, tmp_path):
    with Gunicorn(env=daphne_env(settings, tmp_path), log_path=tmp_path / "gunicorn.log") as server:
        yield server


@pytest.fixture
def organizer():
    return UserFactory()


def counter(key):
    return VersionCounter.objects.get(key=key).value


def kill_the_writer_holding(settings, counter_key, send):
    """Lock the counter, send the request in a thread, end the server's backend once it waits; return the answer."""
    locker, admin = connect_to_test_database(settings), connect_to_test_database(settings)
    try:
        with locker.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            [locker_pid] = cursor.fetchone()
            cursor.execute("SELECT value FROM core_versioncounter WHERE key = %s FOR UPDATE", [counter_key])
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(send)
            [writer] = backends_waiting_on_locks(admin, settings, count=1, exclude={locker_pid})
            with admin.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [writer])
            admin.commit()
            response = pending.result(timeout=30)
        locker.rollback()
        return response
    finally:
        locker.close()
        admin.close()


def test_api_write_losing_its_connection_answers_json_503_and_writes_nothing(settings, web, organizer):
    event = EventFactory(created_by=organizer)
    ticket = TicketFactory(event=event, name="Early bird")
    token = Token.objects.create(user=organizer).key
    key = f"event.{event.pk}.tickets"
    before = counter(key)

    def send():
        return requests.patch(
            web.url(f"/api/v1/events/{event.pk}/tickets/{ticket.pk}/"),
            json={"name": "Renamed"},
            headers={"Authorization": f"Token {token}"},
            timeout=30,
        )

    response = kill_the_writer_holding(settings, key, send)

    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"detail": API_DETAIL}
    assert response.headers["Retry-After"] == "5"
    assert Ticket.objects.values_list("name", "version").get(pk=ticket.pk) == ("Early bird", ticket.version)
    assert counter(key) == before
    assert "Database unavailable during PATCH" in web.log_text()
    # The next request gets a fresh connection.
    again = requests.get(
        web.url(f"/api/v1/events/{event.pk}/tickets/{ticket.pk}/"),
        headers={"Authorization": f"Token {token}"},
        timeout=10,
    )
    assert again.status_code == 200
    assert again.json()["name"] == "Early bird"


def test_form_post_losing_its_connection_answers_html_503_and_writes_nothing(settings, web, organizer):
    event = EventFactory(created_by=organizer)
    track = TrackFactory(event=event, name="Main")
    key = f"event.{event.pk}.tracks"
    before = counter(key)
    cookie = f"{session_cookie(organizer)}; csrftoken={CSRF}"

    def send():
        return requests.post(
            web.url(f"/events/{event.pk}/tracks/{track.pk}/edit/"),
            data={"csrfmiddlewaretoken": CSRF, "name": "Renamed", "color": "#123456", "location": ""},
            headers={"Cookie": cookie},
            allow_redirects=False,
            timeout=30,
        )

    response = kill_the_writer_holding(settings, key, send)

    assert response.status_code == 503, response.text[:500]
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Temporarily unavailable</h1>" in response.text
    assert "Traceback" not in response.text
    track.refresh_from_db()
    assert (track.name, track.version) == ("Main", 1)
    assert counter(key) == before
    assert requests.get(web.url("/healthz"), timeout=10).json()["database"] == "ok"


def test_worker_whose_idle_connection_was_ended_answers_the_next_request(settings, web, organizer):
    """The kept connection's health check (core/postgresql) costs no round trip, yet still sees a backend that
    PostgreSQL ended between two requests (a restart, an idle timeout): the next request reconnects."""
    event = EventFactory(created_by=organizer, name="Kept")
    headers = {"Authorization": f"Token {Token.objects.create(user=organizer).key}"}
    assert requests.get(web.url(f"/api/v1/events/{event.pk}/"), headers=headers, timeout=10).status_code == 200
    admin = connect_to_test_database(settings)
    admin.autocommit = True
    try:
        [[worker]] = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            ["openevent-web"],
        ).fetchall()
        admin.execute("SELECT pg_terminate_backend(%s)", [worker])
        deadline = time.monotonic() + 10  # the backend has said goodbye once it has left pg_stat_activity
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [worker]).fetchall():
            assert time.monotonic() < deadline, "the terminated backend did not exit"
            time.sleep(0.01)

        again = requests.get(web.url(f"/api/v1/events/{event.pk}/"), headers=headers, timeout=10)

        assert again.status_code == 200, again.text
        assert again.json()["name"] == "Kept"
        [[after]] = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            ["openevent-web"],
        ).fetchall()
        assert after != worker
    finally:
        admin.close()
    assert "Database unavailable" not in web.log_text()
