"""Notifications: notify() to a socket held by another process, and one notify() to 1,000 users.

Two socket servers (daphne, as production runs them for /ws/ only) on the
run's PostgreSQL and Redis. This process calls ``notify()`` from sync code
(as a view or a task does): it saves, and after commit hands the pushes to
this process's sending loop, which publishes them to Redis; the socket
server's consumer sends them down a real WebSocket that this process reads.

- Latency: 200 notifications, one at a time, to a socket held by the second
  server, each timed from the call of notify() until the socket has it; the
  baseline is a round trip on the same socket that touches no database (the
  consumer's answer to an unknown message).
- Fan-out: 1,000 users, each with a socket (500 on each server); one notify()
  call goes to all of them; the time until the last socket has it, counted
  from the call; lost = sockets that did not get it within 30 s.
"""

import asyncio
import json
import time

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model

from notifications.models import Notification
from notifications.services import notify

from .harness import HIGHER, LOWER, Row, percentile
from .realtime import close_sockets, fan_out, open_sockets, session_cookies, socket_server

SAMPLES = 200
FAN_OUT = 1000
FAN_OUT_TIMEOUT = 30


def send(user_ids, title):
    notify(user_ids, action=Notification.GENERAL, title=title, message="<p>Benchmark</p>")


async def latency(server, cookie, user_id):
    [socket], _, _ = await open_sockets(server, [("/ws/notifications/", cookie)])
    try:
        round_trips = []
        for _ in range(SAMPLES):
            started = time.perf_counter()
            await socket.send(json.dumps({"type": "ping"}))
            await asyncio.wait_for(socket.recv(), 10)
            round_trips.append(time.perf_counter() - started)
        delays = []
        for number in range(SAMPLES):
            started = time.perf_counter()
            await sync_to_async(send, thread_sensitive=False)([user_id], f"Latency {number}")
            message = json.loads(await asyncio.wait_for(socket.recv(), 10))
            delays.append(time.perf_counter() - started)
            assert message["notification"]["title"] == f"Latency {number}", message
        return round_trips, delays
    finally:
        await close_sockets([socket])


async def fan_out_to_users(servers, cookies, user_ids):
    targets = [("/ws/notifications/", cookie) for cookie in cookies]
    half = len(targets) // 2
    first, _, _ = await open_sockets(servers[0], targets[:half])
    second, _, _ = await open_sockets(servers[1], targets[half:])
    sockets = first + second

    def heard(message):
        return message.get("type") == "notification" and message["notification"]["title"] == "Fan-out"

    async def call():
        started = time.perf_counter()
        await sync_to_async(send, thread_sensitive=False)(user_ids, "Fan-out")
        return time.perf_counter() - started

    try:
        received, last, call_seconds = await fan_out(sockets, heard, call, timeout=FAN_OUT_TIMEOUT)
        return received, len(sockets), call_seconds, last
    finally:
        await close_sockets(sockets)


def run(bench):
    users = list(get_user_model().objects.filter(email__startswith="socket").order_by("pk")[:FAN_OUT])
    cookies = session_cookies(users)
    servers = [socket_server(bench, "notifications-a"), socket_server(bench, "notifications-b")]
    try:
        round_trips, delays = asyncio.run(latency(servers[1], cookies[0], users[0].pk))
        user_ids = [user.pk for user in users]
        received, opened, call_seconds, last = asyncio.run(fan_out_to_users(servers, cookies, user_ids))
    finally:
        for server in servers:
            server.stop()
    echo = "WebSocket round trip, same socket, no database"
    p50 = percentile(delays, 50) * 1000
    return [
        Row(
            "real time",
            "notify() → socket held by another process, p50",
            p50,
            "ms",
            f"{echo}, p50",
            percentile(round_trips, 50) * 1000,
            LOWER,
            note="target < 3 ms",
        ),
        Row(
            "real time",
            "notify() → socket held by another process, p99",
            percentile(delays, 99) * 1000,
            "ms",
            f"{echo}, p99",
            percentile(round_trips, 99) * 1000,
            LOWER,
            note=f"{SAMPLES} samples; target < 20 ms",
        ),
        Row(
            "real time",
            f"fan-out: one notify() to {len(users):,} users with a socket each (two servers), sockets that had it",
            received,
            "received",
            "sockets open",
            opened,
            HIGHER,
            note=f"lost {opened - received}",
        ),
        Row(
            "real time",
            f"fan-out: from the notify() call until the last of {opened:,} sockets had it",
            None if last is None else last * 1000,
            "ms",
            "one notification to one socket, p50 (above)",
            p50,
            LOWER,
            note=f"the notify() call itself: {call_seconds * 1000:,.0f} ms; target < 500 ms",
        ),
    ]
