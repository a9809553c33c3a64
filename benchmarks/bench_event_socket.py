"""The event socket: one write heard by 1,000 sockets, the database work it causes, a handshake meanwhile.

Two socket servers (daphne) on the run's PostgreSQL and Redis. 1,000
anonymous sockets watch the published benchmark event (500 on each server),
and 10 of its organizer's. This process makes one write (a new track, saved
as a view saves it); every socket must hear it. Right after the write a new
socket opens on the first server, timed until its first message, while the
fan-out runs.

The database work the broadcast caused is read from PostgreSQL itself: the
transactions of the benchmark database (pg_stat_database) from before the
write until every socket had it, minus the write's own transaction, the
late socket's handshake and this script's read of the statistics. Both reads
come after PostgreSQL's statistics delay (backends report when idle, up to
10 s later), the first one after the 1,010 handshakes have reported. Before the change that made pushes carry
the counters, each socket ran two queries per write (6,005 transactions for
1,000 sockets).
"""

import asyncio

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.db import connection

from events.models import Track

from .harness import LOWER, Row
from .realtime import STATS_DELAY, close_sockets, fan_out, open_sockets, session_cookies, socket_server, transactions

ANONYMOUS = 1000
MEMBERS = 10
TIMEOUT = 30


def write(event_id):
    return Track.objects.create(event_id=event_id, name="Heard by everyone").pk


async def fan_out_to_event(servers, event_id, organizer_cookie):
    path = f"/ws/events/{event_id}/"
    targets = [(path, None)] * ANONYMOUS + [(path, organizer_cookie)] * MEMBERS
    half = len(targets) // 2
    first, _, _ = await open_sockets(servers[0], targets[:half])
    second, _, _ = await open_sockets(servers[1], targets[half:])
    sockets = first + second
    database = connection.settings_dict["NAME"]

    async def write_then_handshake():
        await sync_to_async(write, thread_sensitive=False)(event_id)
        [late], _, [handshake] = await open_sockets(servers[0], [(path, None)])
        await close_sockets([late])
        return handshake

    try:
        # The handshakes' own transactions are counted by PostgreSQL when their backends report, up to
        # STATS_DELAY later: wait for them, or they would be counted as the broadcast's.
        await asyncio.sleep(STATS_DELAY)
        before = await sync_to_async(transactions, thread_sensitive=False)(database)
        heard, last, handshake = await fan_out(
            sockets, lambda message: "tracks" in message.get("changed", ()), write_then_handshake, timeout=TIMEOUT
        )
        await asyncio.sleep(STATS_DELAY)
        after = await sync_to_async(transactions, thread_sensitive=False)(database)
        # Not caused by the broadcast: the write (one transaction), the first statistics read (one,
        # reported after it), and the late socket's handshake (the event, then its counters: two).
        caused = after - before - 1 - 1 - 2
        return heard, len(sockets), last, handshake, caused
    finally:
        await close_sockets(sockets)


def run(bench):
    organizer = get_user_model().objects.get(email="organizer@bench.example")
    [cookie] = session_cookies([organizer])
    servers = [socket_server(bench, "event-a"), socket_server(bench, "event-b")]
    try:
        heard, opened, last, handshake, caused = asyncio.run(fan_out_to_event(servers, bench.world.event_id, cookie))
    finally:
        for server in servers:
            server.stop()
    return [
        Row(
            "real time",
            f"one event write, {opened:,} sockets on the event: database transactions the broadcast caused",
            caused,
            "queries",
            "sockets that heard it",
            heard,
            LOWER,
            note="target <= 5; before: 6,005 for 1,000 sockets",
        ),
        Row(
            "real time",
            f"one event write: from the write until the last of {opened:,} sockets heard it",
            None if last is None else last * 1000,
            "ms",
            "target",
            500,
            LOWER,
        ),
        Row(
            "real time",
            "a new socket's handshake (to its first message) during that fan-out",
            handshake * 1000,
            "ms",
            "target",
            200,
            LOWER,
        ),
    ]
