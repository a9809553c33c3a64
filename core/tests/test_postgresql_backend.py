"""Our PostgreSQL backend: the health check of a kept connection makes no round trip while the connection is
idle and healthy, and the request path's precompiled queries are prepared on the server.

Each test opens connections of its own on the test database (outside the
test's transaction), as a gunicorn worker holds one between requests, and
watches them from another connection through pg_stat_activity, whose
``query`` column is the last statement a backend received.
"""

import select
import time

import pytest
from django.db import connections
from django.db.models import F

from core.models import VersionCounter
from core.precompiled import PrecompiledQuery
from core.tests.database import prepared_statements
from core.tests.live import connect_to_test_database

pytestmark = [
    pytest.mark.skipif(
        connections["default"].vendor != "postgresql", reason="the PostgreSQL backend (DATABASE_URL on PostgreSQL)"
    ),
    pytest.mark.django_db,
]


@pytest.fixture
def kept():
    """A connection of our backend, held as a worker holds it between requests."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


@pytest.fixture
def observer(settings):
    connection = connect_to_test_database(settings)
    connection.autocommit = True
    yield connection
    connection.close()


def pid_of(wrapper):
    return wrapper.connection.info.backend_pid


def last_statement(observer, pid):
    with observer.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def test_backend_is_ours():
    assert type(connections["default"]).__module__ == "core.postgresql.base"


def test_idle_connection_is_usable_without_a_statement(kept, observer):
    kept.connection.execute("SELECT 'the request before'")

    assert kept.is_usable() is True
    assert last_statement(observer, pid_of(kept)) == "SELECT 'the request before'"


def test_connection_left_in_a_transaction_is_asked_with_select_1(kept, observer):
    kept.connection.autocommit = False
    kept.connection.execute("SELECT 'inside a transaction'")

    assert kept.is_usable() is True
    assert last_statement(observer, pid_of(kept)) == "SELECT 1"


def test_terminated_backend_is_found_unusable_and_django_reconnects(kept, observer):
    kept.connection.execute("SELECT 'the request before'")
    pid = pid_of(kept)
    observer.execute("SELECT pg_terminate_backend(%s)", [pid])
    # The backend's farewell (an error, then the socket's end) arrives after the call returns.
    poller = select.poll()
    poller.register(kept.connection.fileno(), select.POLLIN)
    deadline = time.monotonic() + 10
    while not poller.poll(50) and time.monotonic() < deadline:
        pass

    assert kept.is_usable() is False
    # What Django does before a request's first query (request_started has reset the check): drop it,
    # and the query connects anew.
    kept.health_check_done = False
    kept.close_if_health_check_failed()
    assert kept.connection is None
    with kept.cursor() as cursor:
        cursor.execute("SELECT 42")
        assert cursor.fetchone() == (42,)
    assert pid_of(kept) != pid


def test_closed_connection_is_unusable(kept):
    kept.connection.close()

    assert kept.is_usable() is False


def test_precompiled_query_is_prepared_from_its_second_run_and_answers_alike(django_assert_num_queries):
    VersionCounter.objects.create(key="site.test.prepared", value=4)
    query = PrecompiledQuery(
        lambda key: VersionCounter.objects.filter(key=key).annotate(prepared_probe=F("value") + 1), str
    )
    answers, held = [], []
    for key in ("site.test.prepared", "site.test.prepared", "site.test.missing"):
        with django_assert_num_queries(1):  # the statement that prepares it is not another query
            found = query.first(key)
        answers.append(found and (found.key, found.value, found.prepared_probe))
        held.append(len(prepared_statements("prepared_probe")))

    assert connections["default"].connection.prepare_threshold == 1
    assert answers == [("site.test.prepared", 4, 5), ("site.test.prepared", 4, 5), None]
    assert held == [0, 1, 1]  # one statement, prepared by the second run (threshold 1) and used by the third
    (statement,) = prepared_statements("prepared_probe")
    assert "$1" in statement and "site.test" not in statement  # the value is bound, not written in


def test_django_queries_are_not_prepared():
    VersionCounter.objects.create(key="site.test.orm", value=1)
    for _ in range(4):
        assert VersionCounter.objects.annotate(orm_probe=F("value")).get(key="site.test.orm").orm_probe == 1

    assert prepared_statements("orm_probe") == []


def test_counters_upsert_runs_prepared():
    from core.counters import increment

    answers = [increment(["site.test.upsert"]) for _ in range(3)]

    # Every versioned write runs it: prepared by the second call (threshold 1), its values bound, not written in.
    (upsert,) = prepared_statements("VALUES ($1, 1, $2) ON CONFLICT")
    assert upsert.startswith('INSERT INTO "core_versioncounter"') and upsert.endswith('RETURNING "key", "value"')
    assert answers == [{"site.test.upsert": 1}, {"site.test.upsert": 2}, {"site.test.upsert": 3}]
