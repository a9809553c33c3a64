"""Helpers for tests that run a real server (gunicorn or daphne) against the test database (fault, fuzz tests).

The server gets the test process's SECRET_KEY, so a session made here with
``session_cookie()`` is valid there, and a channel-layer prefix of its own,
so concurrent runs on one Redis do not hear each other.
"""

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.test import Client

from .processes import database_url, production_env

POSTGRES_AND_REDIS = [
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (.ci/run's PostgreSQL + Redis pass)"),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs DATABASE_URL on PostgreSQL (.ci/run's PostgreSQL + Redis pass)",
    ),
]

# Races between two server processes: they need PostgreSQL's row locks (SQLite serializes every writer on the whole
# file, so there is no race to lose) and a test that sees the requests wait (pg_stat_activity).
RACES_ON_POSTGRES = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="a race between two server processes needs PostgreSQL's row locks and pg_stat_activity "
        "(SQLite serializes all writers); runs in .ci/run's PostgreSQL + Redis pass",
    ),
    POSTGRES_AND_REDIS[0],
]


def daphne_env(settings, tmp_path, *, redis_url=None, **extra):
    """Return the environment of a production-like server (gunicorn or daphne) on the test database."""
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    return production_env(
        database_url=database_url(settings.DATABASES["default"]),
        redis_url=redis_url if redis_url is not None else os.environ.get("REDIS_URL", ""),
        media_root=media,
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        CHANNELS_PREFIX=f"live-{uuid.uuid4().hex[:12]}",
        **extra,
    )


def session_cookie(user):
    """Return a Cookie header value with a fresh session of the user (stored in the test database)."""
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def connect_to_test_database(settings):
    """Open a psycopg connection of its own to the test database (for locks and pg_stat_activity)."""
    database = settings.DATABASES["default"]
    return psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        user=database["USER"],
        password=database["PASSWORD"] or None,
        dbname=database["NAME"],
    )


def backends_waiting_on_locks(admin, settings, *, count, exclude=(), timeout=10):
    """Wait until ``count`` backends of the test database wait on a lock; return their pids."""
    deadline = time.monotonic() + timeout
    while True:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' ORDER BY pid",
                [settings.DATABASES["default"]["NAME"]],
            )
            pids = [pid for (pid,) in cursor.fetchall() if pid not in exclude]
        admin.rollback()
        if len(pids) >= count or time.monotonic() > deadline:
            return pids
        time.sleep(0.05)


def race_behind_row_locks(settings, table, pks, writes, *, in_order=False):
    """Hold the rows' locks, start the writes, wait until all of them wait on a lock, let go.

    The writes (callables sending requests to a real server) thus pass every
    check they make before their first lock at the same moment, whatever the
    order the threads start in. ``in_order``: each write starts once the ones
    before it wait, and PostgreSQL lets a row's waiters through in the order
    they came, so the first write takes the row first. Returns (how many
    backends waited together, the writes' results in order).
    """
    locker, admin = connect_to_test_database(settings), connect_to_test_database(settings)
    try:
        with locker.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            [locker_pid] = cursor.fetchone()
            cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [list(pks)])
        with ThreadPoolExecutor(len(writes)) as pool:
            pending = []
            for write in writes:
                pending.append(pool.submit(write))
                if in_order:
                    backends_waiting_on_locks(admin, settings, count=len(pending), exclude={locker_pid})
            waiting = backends_waiting_on_locks(admin, settings, count=len(writes), exclude={locker_pid})
            locker.rollback()
            return len(waiting), [future.result(timeout=30) for future in pending]
    finally:
        locker.close()
        admin.close()
