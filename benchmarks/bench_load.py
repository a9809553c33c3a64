"""Load through nginx in front of the production stack: 200 connections, 60 s of mixed reads and writes.

The stack as deploy/ runs it, on the benchmark database (PostgreSQL) and
Redis: nginx (deploy/nginx's locations) in front of gunicorn with
WEB_CONCURRENCY=3 sync workers (HTTP) and SOCKET_SERVERS=2 daphne (/ws/,
each with a pool of at most DATABASE_POOL_MAX_SIZE=4 connections): a
configured budget of 16 PostgreSQL connections (core.connections).

Eight organizers, each with a token and an event of 20 sessions; wrk with
two threads and 200 connections, all from loopback, sends in turn for each
user 35% GET event, 25% GET sessions, 10% GET tickets, 10% GET unread count,
12% POST a speaker, 8% PATCH a track (benchmarks/wrk/load.lua). Bounded by
time (60 s, or --load-seconds) and by a request cap (200,000). Meanwhile
pg_stat_activity of the benchmark database is sampled every 50 ms.

Afterwards: errors are responses outside 2xx/3xx and socket errors (the
target is 0, and 0 5xx); the PostgreSQL server's log is read for "too many
clients" since the start; and no write is lost: every POST or PATCH that
nginx logged as answered 201/200 is in the database (speakers counted,
tracks' versions summed), and nothing else is. The baseline is our bare JSON
view through the same stack with the same 200 connections.
"""

import re
from pathlib import Path

from django.db import connection
from django.db.models import Sum

from core.connections import configured_budget
from core.tests.processes import Daphne, Gunicorn, Nginx
from events.models import Speaker, Track

from .harness import HIGHER, LOWER, PostgresLog, Row, throughput, wrk

SCRIPT = Path(__file__).with_name("wrk") / "load.lua"
CONNECTIONS = 200
STACK = {"WEB_CONCURRENCY": "3", "SOCKET_SERVERS": "2", "DATABASE_POOL_MAX_SIZE": "4"}
WRITE = re.compile(r'"(POST|PATCH) /api/v1/events/(\d+)/(speakers|tracks)/(?:\d+/)? HTTP/1\.1" (\d{3}) ')


def start_stack(bench):
    env = {**bench.env, **STACK}
    folder = bench.work / "load"
    web = Gunicorn(
        env={**env, "DATABASE_APPLICATION_NAME": "load-web"},
        log_path=folder / "gunicorn.log",
        workers=int(STACK["WEB_CONCURRENCY"]),
    )
    daphnes = [
        Daphne(env={**env, "DATABASE_APPLICATION_NAME": "load-sockets"}, log_path=folder / f"daphne-{n}.log")
        for n in range(int(STACK["SOCKET_SERVERS"]))
    ]
    nginx = Nginx(
        folder=folder,
        web_port=web.port,
        fronts={"front": [daphne.port for daphne in daphnes]},
        static_root=bench.env["DJANGO_STATIC_ROOT"],
        media_root=bench.env["DJANGO_MEDIA_ROOT"],
        worker_connections=2048,
    )
    started = []
    try:
        for server in (web, *daphnes, nginx):
            started.append(server.start())
    except Exception:
        for server in started:
            server.stop()
        raise
    return started, nginx


def settle_writes():
    """Flush what the load wrote (CHECKPOINT) before the next script: left to the checkpointer, its disk writes
    fell on the commits of the script after (notify() -> socket, p50: 3.2-3.5 ms within minutes of this script,
    1.6-1.8 ms on the same code later)."""
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def stored_writes(events):
    """Speakers in the load events, and the sum of their tracks' versions."""
    speakers = Speaker.objects.filter(event_id__in=events).count()
    versions = Track.objects.filter(event_id__in=events).aggregate(total=Sum("version"))["total"]
    return speakers, versions


def acknowledged_writes(access_log, events):
    """Writes nginx logged: (speakers created (201), tracks changed (200), writes still running when wrk
    stopped and closed their connection (499): done or not, nobody heard)."""
    created = changed = cut = 0
    for method, event, kind, status in WRITE.findall(access_log):
        if int(event) not in events:
            continue
        created += method == "POST" and kind == "speakers" and status == "201"
        changed += method == "PATCH" and kind == "tracks" and status == "200"
        cut += status == "499"
    return created, changed, cut


def run(bench):
    world = bench.world
    users = ",".join(f"{user.token}:{user.event_id}:{user.track_id}" for user in world.load_users)
    events = {user.event_id for user in world.load_users}
    budget = configured_budget(STACK)
    servers, nginx = start_stack(bench)
    try:
        bare = throughput(nginx.url("/bench/bare/"), connections=CONNECTIONS)
        before = stored_writes(events)
        postgres_log = PostgresLog(bench.server_url)
        with bench.connections() as sampler:
            result = wrk(
                nginx.url("/"),
                seconds=bench.load_seconds,
                connections=CONNECTIONS,
                threads=2,
                max_requests=200_000,
                script=SCRIPT,
                env={"WRK_USERS": users},
            )
        log_text = postgres_log.since()
        access_log = nginx.access_log_text()
    finally:
        for server in servers:
            server.stop()
    after = stored_writes(events)
    settle_writes()
    created, changed, cut = acknowledged_writes(access_log, events)
    stored = (after[0] - before[0], after[1] - before[1])
    lost = max(0, created - stored[0]) + max(0, changed - stored[1])
    unacknowledged = max(0, stored[0] - created) + max(0, stored[1] - changed)
    errors = result.count(lambda status: not 200 <= status < 400) + result.socket_errors
    server_errors = result.count(lambda status: status >= 500)
    too_many = None if log_text is None else log_text.count("too many clients")
    floor = f"bare JSON view through the same stack, {CONNECTIONS} connections"
    mix = f"{len(world.load_users)} users, {bench.load_seconds} s, {result.requests:,} requests"
    statuses = ", ".join(f"{status}: {count:,}" for status, count in sorted(result.statuses.items()))
    by_kind = ", ".join(f"{name}: {count}" for name, count in sorted(sampler.peak_by_application.items()))
    return [
        Row(
            "load",
            "mixed reads and writes through nginx, throughput",
            result.rps,
            "req/s",
            floor,
            bare.rps,
            HIGHER,
            note=mix,
        ),
        Row("load", "mixed reads and writes, p50 latency", result.p50_ms, "ms", f"{floor}, p50", bare.p50_ms, LOWER),
        Row(
            "load",
            "mixed reads and writes, p99 latency",
            result.p99_ms,
            "ms",
            f"{floor}, p99",
            bare.p99_ms,
            LOWER,
            note=f"max {result.max_ms:,.0f} ms",
        ),
        Row(
            "load",
            "errors (non-2xx/3xx and socket errors)",
            errors,
            "errors",
            "target",
            0,
            LOWER,
            note=statuses,
            target=0,
        ),
        Row("load", "5xx responses", server_errors, "errors", "target", 0, LOWER, target=0),
        Row(
            "load",
            "connection errors (wrk: connect, read, write, timeout)",
            result.socket_errors,
            "errors",
            "target",
            0,
            LOWER,
            target=0,
        ),
        Row(
            "load",
            '"too many clients" lines in the PostgreSQL log during the run',
            too_many,
            "lines",
            "target",
            0,
            LOWER,
            note="log not readable" if too_many is None else str(postgres_log.path),
            target=0,
        ),
        Row(
            "load",
            "writes answered 201/200 but missing from the database",
            lost,
            "writes",
            "target",
            0,
            LOWER,
            note=f"{created} speakers created, {changed} track changes; in the database: {stored[0]} and "
            f"{stored[1]}; {unacknowledged} written but not answered, of {cut} cut off by the end of the run",
            target=0,
        ),
        Row(
            "load",
            "PostgreSQL connections to the benchmark database at once (peak)",
            sampler.peak,
            "connections",
            f"configured budget: {budget}",
            budget.total,
            LOWER,
            note=f"by application: {by_kind}; {sampler.samples} samples",
            target=1,
        ),
        Row(
            "load",
            "PostgreSQL connections opened during the run",
            sampler.opened,
            "connections",
            "configured budget",
            budget.total,
            LOWER,
            target=1,
        ),
    ]
