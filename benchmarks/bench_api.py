"""The API against pretalx and against the floor, 200 vs 304, and counter ETags vs body-hash ETags.

Each system on its production server with one worker: ours is gunicorn with
one sync worker (``bench.web``), pretalx 2026.2.1 is gunicorn with one sync
worker (``bench.peer``, benchmarks/peer_pretalx.py), each seeded with one
event and 50 talks/sessions with one speaker each, read with a token. wrk with
8 connections, 3 s per measurement after a second of warm-up; every case is
measured three times, the rounds interleaved and the two sides of each
ratio one after the other, and its best round kept (``harness.compare``), so
a moment of load on the shared machine does not fall on one side of a ratio
only.

- ours vs pretalx: one event (``/api/v1/events/<id>/`` vs pretalx's
  ``/api/events/<slug>/``) and the 50-item list (sessions with their
  speakers vs pretalx's submissions, ``page_size=50``);
- the request path: our 304 against our own bare view behind our middleware
  (``/bench/bare/``, benchmarks/urls.py), our list 304 against our list 200,
  and the bare view behind our middleware against the floor: the same JSON
  from a bare Django with no middleware on the same server kind
  (benchmarks/floor.py);
- ETags: our 304 answers If-None-Match from the stored version counters
  before anything is loaded; the baseline is the usual body-hash ETag
  (``/bench/hash/...``: the same view runs in full, its body is hashed, then
  304, as Django's ConditionalGetMiddleware does).
- What bounds a 304: a round trip to PostgreSQL on an open connection
  (``SELECT 1``, 1,000 times from this process, right after the rounds),
  against the time of a whole answer of the bare view; a 304 of one event
  or of a list makes one (the token's owner with the engine's query and the
  event's counters). And the least a 304 of one event can cost in this
  design (``/bench/least304/``: that one statement and the ETag, without
  DRF) against our event 304: how much of the 304 is the API's machinery.
"""

import time

import requests
from django.db import connection

from .harness import HIGHER, LOWER, Case, Row, compare

PRETALX = "pretalx 2026.2.1"


def etag(url, headers):
    response = requests.get(url, headers=headers, timeout=30)
    response.raise_for_status()
    return response.headers["ETag"]


def round_trip_microseconds(count=1000):
    with connection.cursor() as cursor:
        for _ in range(50):
            cursor.execute("SELECT 1")
            cursor.fetchone()
        started = time.perf_counter()
        for _ in range(count):
            cursor.execute("SELECT 1")
            cursor.fetchone()
    return (time.perf_counter() - started) / count * 1e6


def run(bench):
    web, world = bench.web, bench.world
    auth = {"Authorization": f"Token {world.organizer_token}"}
    event, sessions = f"/api/v1/events/{world.event_id}/", f"/api/v1/events/{world.event_id}/sessions/"
    # In the order of the ratios below, so the two sides of each are measured one after the other.
    least = web.url(f"/bench/least304/{world.event_id}/")
    event_hashed, list_hashed = web.url(f"/bench/hash{event}"), web.url(f"/bench/hash{sessions}")
    cases = {
        "event": Case(web.url(event), auth),
        "pretalx event": Case(bench.peer.event_detail_url, bench.peer.headers) if bench.peer else None,
        "list": Case(web.url(sessions), auth),
        "pretalx list": Case(bench.peer.talks_url, bench.peer.headers) if bench.peer else None,
        "event 304": Case(web.url(event), {**auth, "If-None-Match": etag(web.url(event), auth)}, 304),
        "least 304": Case(least, {**auth, "If-None-Match": etag(least, auth)}, 304),
        "bare": Case(web.url("/bench/bare/")),
        "floor": Case(bench.floor.url("/bench/bare/")),
        "list 304": Case(web.url(sessions), {**auth, "If-None-Match": etag(web.url(sessions), auth)}, 304),
        "list hash 304": Case(list_hashed, {**auth, "If-None-Match": etag(list_hashed, auth)}, 304),
        "event hash 304": Case(event_hashed, {**auth, "If-None-Match": etag(event_hashed, auth)}, 304),
    }
    cases = {name: case for name, case in cases.items() if case is not None}
    # 3 interleaved rounds of 3 s per case (11 cases): the script's 2 minutes of make bench's 10.
    best = compare(cases, rounds=3, seconds=3)
    round_trip = round_trip_microseconds()
    bench.shared["api"] = best
    rps = {name: result.rps for name, result in best.items()}
    peer = rps.get("pretalx event"), rps.get("pretalx list")
    missing = f" ({bench.peer_error})" if bench.peer is None else ""
    return [
        Row(
            "API vs pretalx",
            "GET one event, 200",
            rps["event"],
            "req/s",
            f"{PRETALX}: GET one event (/api/events/<slug>/){missing}",
            peer[0],
            HIGHER,
            target=8,
        ),
        Row(
            "API vs pretalx",
            "GET a list of 50 sessions with speakers, 200",
            rps["list"],
            "req/s",
            f"{PRETALX}: GET 50 talks (/api/events/<slug>/submissions/?page_size=50){missing}",
            peer[1],
            HIGHER,
            target=20,
        ),
        Row(
            "request path",
            "GET one event, 304 (If-None-Match)",
            rps["event 304"],
            "req/s",
            "our bare JSON view behind our middleware",
            rps["bare"],
            HIGHER,
            target=0.6,
        ),
        Row(
            "request path",
            "the least a 304 of one event can cost here: its one statement and the ETag, no DRF",
            rps["least 304"],
            "req/s",
            "our bare JSON view behind our middleware",
            rps["bare"],
            HIGHER,
            note="benchmarks/urls.py least_304: what any event 304 that asks the database would reach at most",
        ),
        Row(
            "request path",
            "GET the list of 50, 304 (If-None-Match)",
            rps["list 304"],
            "req/s",
            "the same list, 200",
            rps["list"],
            HIGHER,
            target=10,
        ),
        Row(
            "request path",
            "one PostgreSQL round trip on an open connection (SELECT 1)",
            round_trip,
            "µs",
            "one answer of our bare JSON view (1 / its req/s)",
            1e6 / rps["bare"],
            LOWER,
            note="a 304 of one event or of a list makes 1: the token with the engine's query",
        ),
        Row(
            "request path",
            "bare JSON view behind our middleware",
            rps["bare"],
            "req/s",
            "floor: bare Django JSON view, no middleware, same server kind",
            rps["floor"],
            HIGHER,
        ),
        Row(
            "ETags",
            "GET one event, 304 from version counters",
            rps["event 304"],
            "req/s",
            "body-hash ETag 304 (full view + md5, as ConditionalGetMiddleware)",
            rps["event hash 304"],
            HIGHER,
        ),
        Row(
            "ETags",
            "GET the list of 50, 304 from version counters",
            rps["list 304"],
            "req/s",
            "body-hash ETag 304 (full view + md5, as ConditionalGetMiddleware)",
            rps["list hash 304"],
            HIGHER,
        ),
    ]
