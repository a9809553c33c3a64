"""A socket server whose pool cannot hand out a connection answers a fast 503 with Retry-After, and never opens more.

A real daphne on the PostgreSQL test database with a pool of one connection
and a one-second timeout. The test holds a lock that a write of daphne waits
for, so the pool's only connection is busy; a second request waits for it,
gives up after the timeout and gets the 503 of core.middleware. daphne
never holds more connections than its pool's size, and once the lock is
released the write completes.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from rest_framework.authtoken.models import Token

from core.middleware import API_DETAIL, RETRY_AFTER
from core.tests.factories import UserFactory
from core.tests.live import POSTGRES_AND_REDIS, backends_waiting_on_locks, connect_to_test_database, daphne_env
from core.tests.processes import Daphne
from events.tests.factories import EventFactory
from tickets.tests.factories import TicketFactory

pytestmark = [pytest.mark.faults, *POSTGRES_AND_REDIS, pytest.mark.django_db(transaction=True)]

POOL_TIMEOUT = 1


@pytest.fixture
def daphne(settings, tmp_path):
    env = daphne_env(
        settings,
        tmp_path,
        DATABASE_POOL_MIN_SIZE=1,
        DATABASE_POOL_MAX_SIZE=1,
        DATABASE_POOL_TIMEOUT=POOL_TIMEOUT,
        DATABASE_APPLICATION_NAME="pooltest",
    )
    with Daphne(env=env, log_path=tmp_path / "daphne.log") as server:
        yield server


def daphne_backends(admin, settings):
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = 'pooltest'",
            [settings.DATABASES["default"]["NAME"]],
        )
        [count] = cursor.fetchone()
    admin.rollback()
    return count


def test_request_that_finds_the_pool_busy_answers_503_with_retry_after(settings, daphne):
    organizer = UserFactory()
    event = EventFactory(created_by=organizer)
    ticket = TicketFactory(event=event, name="Regular")
    headers = {"Authorization": f"Token {Token.objects.create(user=organizer).key}"}
    assert requests.get(daphne.url(f"/api/v1/events/{event.pk}/"), headers=headers, timeout=10).status_code == 200

    locker, admin = connect_to_test_database(settings), connect_to_test_database(settings)
    try:
        with locker.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            [locker_pid] = cursor.fetchone()
            cursor.execute("SELECT id FROM tickets_ticket WHERE id = %s FOR UPDATE", [ticket.pk])
        with ThreadPoolExecutor(1) as pool:
            write = pool.submit(
                requests.patch,
                daphne.url(f"/api/v1/events/{event.pk}/tickets/{ticket.pk}/"),
                json={"name": "Renamed"},
                headers=headers,
                timeout=30,
            )
            # The write holds the pool's only connection while it waits for the row.
            backends_waiting_on_locks(admin, settings, count=1, exclude={locker_pid})

            started = time.monotonic()
            response = requests.get(daphne.url(f"/api/v1/events/{event.pk}/"), headers=headers, timeout=30)
            waited = time.monotonic() - started

            assert response.status_code == 503, response.text
            assert response.json() == {"detail": API_DETAIL}
            assert response.headers["Retry-After"] == str(RETRY_AFTER)
            assert POOL_TIMEOUT <= waited < POOL_TIMEOUT + 5
            assert daphne_backends(admin, settings) == 1
            locker.rollback()
            assert write.result(timeout=30).status_code == 200
    finally:
        locker.close()
        admin.close()

    ticket.refresh_from_db()
    assert ticket.name == "Renamed"
    assert "Database unavailable during GET" in daphne.log_text()
    again = requests.get(daphne.url(f"/api/v1/events/{event.pk}/"), headers=headers, timeout=10)
    assert again.status_code == 200
