"""Webhooks: how soon a change reaches a receiver, and what webhooks cost the write that causes the change.

One worker (``manage.py worker``, the database queue on the run's
PostgreSQL, as production runs it) beside the daphne under test, and
receivers on 127.0.0.1 in this process (a threaded http.server).

- Delivery latency: 100 changes, one at a time, each a track renamed in
  this process; timed from the commit until the receiver has read the
  request (the worker's relay, the delivery task, signing, the POST). An
  idle worker LISTENs on PostgreSQL: the commit of the change's row NOTIFYs
  it (else it polls every TASKS_POLL_SECONDS, 0.2 s). Baseline: a POST from this process to the
  same receiver.
- Request latency: PATCH of a track through the daphne under test, 150
  times each, interleaved, on an event with 5 webhooks whose receiver takes
  2 s to answer (the worker is busy with them throughout) and on an event
  with none. The target: within 10 %.
"""

import time

import requests
from django.conf import settings
from django.db import transaction
from rest_framework.authtoken.models import Token

from core.tests.factories import UserFactory
from core.tests.processes import Worker
from events.models import Track
from events.tests.receiver import Answer, Receiver
from events.webhooks.services import create_webhook

from .harness import LOWER, Row, percentile
from .world import new_event

CHANGES = 100
WRITES = 150
SLOW_SECONDS = 2


def delivery_latency(receiver, track):
    """Return seconds from each commit until the receiver had the change, and plain POST round trips."""
    delays = []
    for number in range(CHANGES):
        with transaction.atomic():
            track.name = f"Renamed {number}"
            track.save()
        committed = time.time()
        arrived = receiver.wait_for(number + 1)[-1]
        delays.append(arrived.at - committed)
    round_trips = []
    with requests.Session() as session:
        for _ in range(CHANGES):
            started = time.time()
            session.post(receiver.url, data=b"{}", timeout=10)
            round_trips.append(receiver.received[-1].at - started)
    return delays, round_trips


def write_latency(bench, token, hooked, bare):
    """Return (seconds per PATCH with 5 slow webhooks, seconds per PATCH with none), interleaved."""
    timings = {hooked: [], bare: []}
    headers = {"Authorization": f"Token {token}"}
    with requests.Session() as session:
        for number in range(WRITES + 10):
            for event, track in (hooked, bare):
                url = bench.daphne.url(f"/api/v1/events/{event}/tracks/{track}/")
                started = time.perf_counter()
                answer = session.patch(url, json={"name": f"Write {number}"}, headers=headers, timeout=30)
                took = time.perf_counter() - started
                assert answer.status_code == 200, answer.text
                if number >= 10:  # the first ten of each warm up
                    timings[(event, track)].append(took)
    return timings[hooked], timings[bare]


def run(bench):
    settings.WEBHOOK_ALLOW_LOOPBACK = True  # the receivers are on 127.0.0.1 (this process's checks)
    organizer = UserFactory(email="webhooks-bench@example.com")
    token = Token.objects.create(user=organizer).key
    env = {**bench.env, "WEBHOOK_ALLOW_LOOPBACK": "1", "DJANGO_LOG_LEVEL": "WARNING"}
    latency_event, hooked_event, bare_event = (new_event(organizer, f"Webhooks {name}") for name in "ABC")
    track = Track.objects.create(event=latency_event, name="Latency")
    hooked = (hooked_event.pk, Track.objects.create(event=hooked_event, name="Hooked").pk)
    bare = (bare_event.pk, Track.objects.create(event=bare_event, name="Bare").pk)
    with Worker(env=env, log_path=bench.work / "worker.log", interval=settings.TASKS_POLL_SECONDS):
        with Receiver() as fast:
            create_webhook(event=latency_event, by=organizer, url=fast.url, kinds=["track.changed"])
            delays, round_trips = delivery_latency(fast, track)
        with Receiver(Answer(delay=SLOW_SECONDS)) as slow:
            for _ in range(5):
                create_webhook(event=hooked_event, by=organizer, url=slow.url, kinds=["track.changed"])
            with_hooks, without = write_latency(bench, token, hooked, bare)
            slow_received = len(slow.received)
    p = {
        name: percentile(values, q) * 1000
        for name, values, q in (
            ("d50", delays, 50),
            ("d99", delays, 99),
            ("r50", round_trips, 50),
            ("r99", round_trips, 99),
            ("w50", with_hooks, 50),
            ("w99", with_hooks, 99),
            ("n50", without, 50),
            ("n99", without, 99),
        )
    }
    note = "an idle worker is woken by the commit's NOTIFY"
    return [
        Row(
            "webhooks",
            "commit → receiver has the change, p50",
            p["d50"],
            "ms",
            "POST to the same receiver, p50",
            p["r50"],
            LOWER,
            note=f"{CHANGES} changes one at a time; {note}",
        ),
        Row(
            "webhooks",
            "commit → receiver has the change, p99",
            p["d99"],
            "ms",
            "POST to the same receiver, p99",
            p["r99"],
            LOWER,
            note=note,
        ),
        Row(
            "webhooks",
            "PATCH a track, event with 5 webhooks on a 2 s receiver, p50",
            p["w50"],
            "ms",
            "same PATCH, event with no webhook, p50",
            p["n50"],
            LOWER,
            note=f"{WRITES} each, interleaved; target within 10 %; the receiver got {slow_received} meanwhile",
        ),
        Row(
            "webhooks",
            "PATCH a track, event with 5 webhooks on a 2 s receiver, p99",
            p["w99"],
            "ms",
            "same PATCH, event with no webhook, p99",
            p["n99"],
            LOWER,
        ),
    ]
