"""What the real-time benchmarks share: socket servers of their own, sessions, sockets, the database's transactions.

The socket benchmarks start their own daphne processes (the socket servers
of production: /ws/ only) with the run's settings, and raise the
per-address socket limit (every benchmark socket comes from 127.0.0.1) and
this process's open-files limit (the servers inherit it).
"""

import asyncio
import json
import resource
import time
from datetime import timedelta

from websockets.asyncio.client import connect

from core.tests.processes import Daphne

# Every socket of a benchmark comes from 127.0.0.1: the per-address limit would refuse most of them.
# The measuring clients open many sockets from one address and ping as fast as the server answers.
SOCKET_LIMITS = {
    "SOCKETS_PER_ADDRESS": "100000",
    "SOCKETS_PER_USER": "100",
    "SOCKET_MESSAGE_BURST": "100000",
    "SOCKET_MESSAGES_PER_SECOND": "100000",
}


def raise_open_files_limit():
    """Raise this process's soft limit of open files to its hard limit (children inherit it); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def socket_server(bench, name, **env):
    """Start a daphne like production's socket servers, with the benchmark's limits; the caller stops it."""
    raise_open_files_limit()
    return Daphne(env={**bench.env, **SOCKET_LIMITS, **env}, log_path=bench.work / f"daphne-{name}.log").start()


def session_cookies(users):
    """Return a session Cookie header for each user, stored as a login stores them (bulk, for thousands)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    store = SessionStore()
    expires = timezone.now() + timedelta(seconds=store.get_expiry_age())
    cookies, rows = [], []
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "eventsite.backends.EmailBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        cookies.append(f"sessionid={key}")
    Session.objects.bulk_create(rows, batch_size=500)
    return cookies


async def open_sockets(server, paths_and_cookies, *, concurrency=50, timeout=60):
    """Open one socket per (path, cookie or None); return (sockets, first messages, seconds each handshake took).

    At most ``concurrency`` handshakes at once: daphne listens with a backlog of 50, and on a busy
    machine 100 at once overflowed it (connections closed before their answer).
    """
    gate = asyncio.Semaphore(concurrency)

    async def open_one(path, cookie):
        async with gate:
            started = time.perf_counter()
            socket = await connect(
                server.ws_url(path),
                additional_headers={"Cookie": cookie} if cookie else {},
                origin=server.origin,
                open_timeout=timeout,
                max_queue=None,
                ping_interval=None,
            )
            first = json.loads(await asyncio.wait_for(socket.recv(), timeout))
            return socket, first, time.perf_counter() - started

    opened = await asyncio.gather(*(open_one(path, cookie) for path, cookie in paths_and_cookies))
    return [item[0] for item in opened], [item[1] for item in opened], [item[2] for item in opened]


async def fan_out(sockets, heard, act, *, timeout=30):
    """Run ``act()`` while every socket waits for its first message that ``heard(message)`` accepts.

    Returns (sockets that heard it, seconds from the start of ``act()`` until the
    last of them did, or None if none did, what ``act()`` returned). Sockets
    that have not heard it within ``timeout`` seconds of the end of ``act()``
    count as lost.
    """
    arrivals = []

    async def wait_for_it(socket):
        while True:
            if heard(json.loads(await socket.recv())):
                arrivals.append(time.perf_counter())
                return

    waiting = [asyncio.ensure_future(wait_for_it(socket)) for socket in sockets]
    try:
        started = time.perf_counter()
        result = await act()
        await asyncio.wait(waiting, timeout=timeout)
    finally:
        for future in waiting:
            future.cancel()
    return len(arrivals), (max(arrivals) - started if arrivals else None), result


async def close_sockets(sockets):
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)


def transactions(database):
    """Return the database's committed plus rolled-back transactions so far (pg_stat_database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        # In autocommit each statement is a transaction of its own, with a fresh view of the statistics.
        cursor.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", [database])
        return cursor.fetchone()[0]


# PostgreSQL 15 backends report their statistics when they go idle, at the latest this many seconds later.
STATS_DELAY = 11
