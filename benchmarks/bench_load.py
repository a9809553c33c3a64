"""Load: mixed API reads and writes by several organizers for 60 s (wrk, from loopback).

Eight organizers, each with a token and an event of 20 sessions; two wrk
threads with eight connections send, in turn for each user, 35% GET event,
25% GET sessions, 10% GET tickets, 10% GET unread count, 12% POST a speaker,
8% PATCH a track (benchmarks/wrk/load.lua). Bounded by time (60 s, or
--load-seconds) and by a request cap (200,000). An error is any response
outside 2xx/3xx and any socket error; the target is 0 errors and 0 5xx.
The baseline is the bare Django JSON view under the same concurrency.
"""

from pathlib import Path

from .harness import HIGHER, LOWER, Row, throughput, wrk

SCRIPT = Path(__file__).with_name("wrk") / "load.lua"
CONNECTIONS = 8


def run(bench):
    daphne, world = bench.daphne, bench.world
    users = ",".join(f"{user.token}:{user.event_id}:{user.track_id}" for user in world.load_users)
    bare = throughput(daphne.url("/bench/bare/"), connections=CONNECTIONS)
    result = wrk(
        daphne.url("/"),
        seconds=bench.load_seconds,
        connections=CONNECTIONS,
        threads=2,
        max_requests=200_000,
        script=SCRIPT,
        env={"WRK_USERS": users},
    )
    errors = result.count(lambda status: not 200 <= status < 400) + result.socket_errors
    server_errors = result.count(lambda status: status >= 500)
    floor = f"bare Django JSON view, {CONNECTIONS} connections"
    mix = f"{len(world.load_users)} users, {bench.load_seconds} s, {result.requests:,} requests"
    statuses = ", ".join(f"{status}: {count:,}" for status, count in sorted(result.statuses.items()))
    return [
        Row("load", "mixed reads and writes, throughput", result.rps, "req/s", floor, bare.rps, HIGHER, note=mix),
        Row("load", "mixed reads and writes, p50 latency", result.p50_ms, "ms", f"{floor}, p50", bare.p50_ms, LOWER),
        Row("load", "mixed reads and writes, p99 latency", result.p99_ms, "ms", f"{floor}, p99", bare.p99_ms, LOWER),
        Row("load", "errors (non-2xx/3xx and socket errors)", errors, "errors", "target", 0, LOWER, note=statuses),
        Row("load", "5xx responses", server_errors, "errors", "target", 0, LOWER),
    ]
