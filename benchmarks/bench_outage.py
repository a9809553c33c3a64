"""A frozen Redis: writes keep their speed, nothing is lost, open sockets catch up when it answers again.

A private redis-server and a daphne of its own (HTTP and sockets, the run's
PostgreSQL) using it. A user holds a notifications socket. The organizer of
the benchmark event renames a track through the API 20 times with Redis up
(each write pushes to the event's sockets after commit), then Redis is
frozen (SIGSTOP: it keeps its connections and answers nothing, the worst
kind of outage), and the same 20 writes are timed again; meanwhile the
organizer invites the user to three events, each invite a notification the
socket cannot hear. Then Redis is thawed (SIGCONT) and the time until the
socket has a fresh snapshot with those three notifications is measured.
Lost = notifications the database holds that the snapshot does not count.
"""

import json
import os
import signal
import statistics
import time

import requests
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from websockets.sync.client import connect

from core.tests.processes import Daphne, RedisServer
from events.models import Track
from events.tests.factories import EventFactory
from notifications.models import Notification

from .harness import LOWER, Row
from .realtime import SOCKET_LIMITS, session_cookies

WRITES = 20


def timed_writes(server, token, event_id, track_id, phase):
    """Median ms of WRITES renames of the track, each to a name of its own (a name its event's other tracks do not
    have: names are unique per event; and never the name it has: a write that changes nothing stores nothing)."""
    url = server.url(f"/api/v1/events/{event_id}/tracks/{track_id}/")
    seconds = []
    for number in range(WRITES):
        started = time.perf_counter()
        name = f"Outage {phase} {number}"
        response = requests.patch(url, json={"name": name}, headers={"Authorization": f"Token {token}"})
        seconds.append(time.perf_counter() - started)
        response.raise_for_status()
    return statistics.median(seconds) * 1000


def run(bench):
    users = get_user_model().objects
    organizer = users.get(email="organizer@bench.example")
    person = users.filter(email__startswith="socket").order_by("pk").first()
    token = Token.objects.get(user=organizer).key
    track = Track.objects.filter(event_id=bench.world.event_id).first()
    invites_to = [EventFactory(created_by=organizer, name=f"Outage {number}") for number in range(3)]
    [cookie] = session_cookies([person])
    redis = RedisServer(log_path=bench.work / "redis-outage.log").start()
    env = {**bench.env, **SOCKET_LIMITS, "REDIS_URL": redis.url}
    server = Daphne(env=env, log_path=bench.work / "daphne-outage.log").start()
    try:
        with connect(server.ws_url(), additional_headers={"Cookie": cookie}, origin=server.origin) as socket:
            before = json.loads(socket.recv(timeout=10))["unread_count"]
            up = timed_writes(server, token, bench.world.event_id, track.pk, "up")
            os.kill(redis.pid, signal.SIGSTOP)
            try:
                frozen = timed_writes(server, token, bench.world.event_id, track.pk, "frozen")
                for event in invites_to:
                    response = requests.post(
                        server.url(f"/api/v1/events/{event.pk}/invites/"),
                        json={"email": person.email, "role": "moderator"},
                        headers={"Authorization": f"Token {token}"},
                    )
                    response.raise_for_status()
            finally:
                os.kill(redis.pid, signal.SIGCONT)
            thawed = time.perf_counter()
            caught_up, seen = None, before
            expected = before + len(invites_to)
            while caught_up is None and time.perf_counter() - thawed < 30:
                message = json.loads(socket.recv(timeout=30))
                seen = max(seen, message.get("unread_count", seen))
                if seen == expected:
                    caught_up = time.perf_counter() - thawed
            stored = Notification.objects.filter(user=person, has_read=False).count()
    finally:
        server.stop()
        redis.stop()
    return [
        Row(
            "real time",
            f"a write (API PATCH) with Redis frozen, median of {WRITES}",
            frozen,
            "ms",
            "the same write with Redis up, median",
            up,
            LOWER,
            note="target: at most 100 ms more",
        ),
        Row(
            "real time",
            "Redis thawed: until the open socket had a fresh snapshot",
            None if caught_up is None else caught_up * 1000,
            "ms",
            "target",
            5000,
            LOWER,
            note=f"{stored - before} notifications saved meanwhile, {expected - seen} never counted on the socket",
        ),
    ]
