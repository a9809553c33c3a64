"""The process model, measured: gunicorn vs daphne for HTTP, and daphne with and without its connection pool.

- HTTP server: the same two answers (our bare JSON view behind our
  middleware, and one event as the organizer) from gunicorn with one sync
  worker and from one daphne, interleaved (``harness.compare``, wrk with 8
  connections). daphne runs every request on a thread of its own through the
  ASGI adapter; a sync worker calls the view directly.
- Pool vs none, where it matters: daphne runs each HTTP request and each
  socket's queries on a thread of its own, so without a pool every thread
  opens (and closes) its own connection. Two fresh daphne, one with
  DATABASE_POOL (at most 4 connections, eventsite/asgi.py's default) and one
  without, each take 16 concurrent API requests for 3 s (wrk) and then 200
  socket connects (each reads the session, the user and the unread list),
  while pg_stat_activity is sampled every 50 ms: connections at once,
  connections opened, and the throughput. Both without the read cache
  (READ_CACHE_FILE unset), so that every request asks the database.
"""

import asyncio
import time

from .harness import HIGHER, LOWER, Case, Row, compare, wrk
from .realtime import close_sockets, open_sockets

CONCURRENT = 16
SOCKETS = 200


async def connect_all(daphne, cookies):
    started = time.perf_counter()
    sockets, _snapshots, _seconds = await open_sockets(daphne, [("/ws/notifications/", cookie) for cookie in cookies])
    seconds = time.perf_counter() - started
    await close_sockets(sockets)
    return seconds


def under_pressure(bench, daphne, name):
    """Return (wrk result, sampler of the requests, seconds to open the sockets, sampler of the sockets)."""
    url = daphne.url(f"/api/v1/events/{bench.world.event_id}/")
    headers = {"Authorization": f"Token {bench.world.organizer_token}"}
    wrk(url, headers=headers, seconds=1, connections=2)
    with bench.connections() as requests_sampler:
        result = wrk(url, headers=headers, seconds=3, connections=CONCURRENT)
    with bench.connections() as sockets_sampler:
        seconds = asyncio.run(connect_all(daphne, bench.world.socket_cookies[:SOCKETS]))
    return result, requests_sampler, seconds, sockets_sampler


def run(bench):
    world = bench.world
    auth = {"Authorization": f"Token {world.organizer_token}"}
    event = f"/api/v1/events/{world.event_id}/"
    best = compare(
        {
            "bare gunicorn": Case(bench.web.url("/bench/bare/")),
            "bare daphne": Case(bench.daphne.url("/bench/bare/")),
            "event gunicorn": Case(bench.web.url(event), auth),
            "event daphne": Case(bench.daphne.url(event), auth),
        },
        seconds=3,
    )
    rows = [
        Row(
            "process model",
            "HTTP on gunicorn (1 sync worker): bare JSON view behind our middleware",
            best["bare gunicorn"].rps,
            "req/s",
            "the same on daphne (1 process)",
            best["bare daphne"].rps,
            HIGHER,
        ),
        Row(
            "process model",
            "HTTP on gunicorn (1 sync worker): GET one event, 200",
            best["event gunicorn"].rps,
            "req/s",
            "the same on daphne (1 process)",
            best["event daphne"].rps,
            HIGHER,
        ),
    ]

    measured = {}
    for name, pool in (("pool", "1"), ("no pool", "0")):
        application = f"bench-{name.replace(' ', '')}"
        # Without the read cache: each request asks the database, which is what the pool is for (with it, the
        # kept reads and 304s answer most of these requests from memory, on both sides).
        daphne = bench.start_daphne(
            application, DATABASE_POOL=pool, DATABASE_APPLICATION_NAME=application, READ_CACHE_FILE=""
        )
        try:
            result, requests_sampler, seconds, sockets_sampler = under_pressure(bench, daphne, name)
        finally:
            daphne.stop()
        errors = result.count(lambda status: status != 200) + result.socket_errors
        measured[name] = (application, result, requests_sampler, seconds, sockets_sampler, errors)

    def peak(name, sampler):
        return sampler.peak_by_application.get(measured[name][0], 0)

    pool, none = measured["pool"], measured["no pool"]
    baseline = "the same daphne without a pool"
    return [
        *rows,
        Row(
            "process model",
            f"daphne with its pool, {CONCURRENT} concurrent API requests: connections at once",
            peak("pool", pool[2]),
            "connections",
            baseline,
            peak("no pool", none[2]),
            LOWER,
            note=f"errors: {pool[5]} with the pool, {none[5]} without",
        ),
        Row(
            "process model",
            f"daphne with its pool, {CONCURRENT} concurrent API requests: connections opened in 3 s",
            pool[2].opened_by(pool[0]),
            "connections",
            baseline,
            none[2].opened_by(none[0]),
            LOWER,
        ),
        Row(
            "process model",
            f"daphne with its pool, {CONCURRENT} concurrent API requests: throughput",
            pool[1].rps,
            "req/s",
            baseline,
            none[1].rps,
            HIGHER,
        ),
        Row(
            "process model",
            f"daphne with its pool: open {SOCKETS} authenticated sockets",
            pool[3] * 1000,
            "ms",
            baseline,
            none[3] * 1000,
            LOWER,
            note=f"connections at once: {peak('pool', pool[4])} with the pool, {peak('no pool', none[4])} without",
        ),
    ]
