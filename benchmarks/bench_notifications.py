"""Notifications: latency from notify() to a real socket, and a fan-out to 1,000 users.

This process calls ``notify()`` (the same service a request calls, here from a
worker thread of a running event loop, as daphne runs a sync view); the
message goes through Redis to the daphne under test, whose consumer pushes it
down a real WebSocket that this process reads.

- Latency: 200 notifications, one at a time, each timed from the call of
  notify() until the socket has it; the baseline is a round trip on the same
  socket that touches no database (the consumer's answer to an unknown message).
- Fan-out: 200 sockets of 200 different users are open; one notify() call
  goes to 1,000 users (those 200 among them); every socket must receive it
  within 60 s. Lost = 200 - received.
"""

import asyncio
import json
import time

from asgiref.sync import sync_to_async

from notifications.models import Notification
from notifications.services import notify

from .harness import LOWER, Row, close_sockets, open_sockets, percentile

SAMPLES = 200
FAN_OUT_SOCKETS = 200
FAN_OUT_TIMEOUT = 60


def send(user_ids, title):
    notify(user_ids, action=Notification.GENERAL, title=title, message="<p>Benchmark</p>")


async def latency(bench):
    world = bench.world
    [socket], _ = await open_sockets(bench.daphne, world.socket_cookies[:1])
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
            await sync_to_async(send, thread_sensitive=False)([world.socket_user_ids[0]], f"Latency {number}")
            message = json.loads(await asyncio.wait_for(socket.recv(), 10))
            delays.append(time.perf_counter() - started)
            assert message["notification"]["title"] == f"Latency {number}", message
        return round_trips, delays
    finally:
        await close_sockets([socket])


async def fan_out(bench):
    world = bench.world
    sockets, _ = await open_sockets(bench.daphne, world.socket_cookies[:FAN_OUT_SOCKETS])
    try:
        started = time.perf_counter()
        arrivals = []

        async def await_fan_out(socket):
            while True:
                message = json.loads(await socket.recv())
                if message.get("type") == "notification" and message["notification"]["title"] == "Fan-out":
                    arrivals.append(time.perf_counter() - started)
                    return

        waiting = [asyncio.ensure_future(await_fan_out(socket)) for socket in sockets]
        await sync_to_async(send, thread_sensitive=False)(world.socket_user_ids, "Fan-out")
        call_seconds = time.perf_counter() - started
        await asyncio.wait(waiting, timeout=FAN_OUT_TIMEOUT)
        for future in waiting:
            future.cancel()
        return len(arrivals), call_seconds, max(arrivals, default=None)
    finally:
        await close_sockets(sockets)


def run(bench):
    round_trips, delays = asyncio.run(latency(bench))
    received, call_seconds, last = asyncio.run(fan_out(bench))
    echo = "WebSocket round trip, same socket, no database"
    p50 = percentile(delays, 50) * 1000
    users = len(bench.world.socket_user_ids)
    return [
        Row(
            "notifications",
            "notify() → socket, p50",
            p50,
            "ms",
            f"{echo}, p50",
            percentile(round_trips, 50) * 1000,
            LOWER,
        ),
        Row(
            "notifications",
            "notify() → socket, p99",
            percentile(delays, 99) * 1000,
            "ms",
            f"{echo}, p99",
            percentile(round_trips, 99) * 1000,
            LOWER,
            note=f"{SAMPLES} samples",
        ),
        Row(
            "notifications",
            f"fan-out: one notify() to {users:,} users, sockets that received it",
            received,
            "received",
            "sockets open",
            FAN_OUT_SOCKETS,
            "higher",
            note=f"lost {FAN_OUT_SOCKETS - received}",
        ),
        Row(
            "notifications",
            f"fan-out: time until the last of {FAN_OUT_SOCKETS} sockets had it",
            None if last is None else last * 1000,
            "ms",
            "one notification to one socket, p50 (above)",
            p50,
            LOWER,
            note=f"the notify() call itself: {call_seconds * 1000:,.0f} ms",
        ),
    ]
