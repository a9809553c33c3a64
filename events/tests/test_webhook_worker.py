"""A real worker process (``manage.py worker``) on the database queue, delivering to a real receiver.

The test process writes through the API client with the database backend,
so a write commits its change and its task rows together; the worker, a
separate process on the same test database, does the rest.
"""

import time

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult
from standardwebhooks import Webhook as StandardWebhook

from core.models import Change
from core.tests.processes import Worker, database_url, production_env
from events.tests.factories import EventFactory, TrackFactory
from events.tests.receiver import Answer, Receiver
from events.webhooks.models import WebhookDelivery
from events.webhooks.services import create_webhook

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {**settings.TASKS["default"], "BACKEND": "django_tasks_db.DatabaseBackend"}}


def worker_env(settings, **extra):
    return production_env(
        database_url=database_url(settings.DATABASES["default"]),
        DJANGO_SECRET_KEY=settings.SECRET_KEY,  # the webhooks' secrets are encrypted with it
        WEBHOOK_ALLOW_LOOPBACK="1",
        DJANGO_LOG_LEVEL="INFO",
        **extra,
    )


@pytest.fixture
def worker(settings, tmp_path, database_queue):
    with Worker(env=worker_env(settings), log_path=tmp_path / "worker.log") as process:
        yield process


def wait_until(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not come true in time")
        time.sleep(0.05)


def test_the_worker_delivers_a_change_made_through_the_api(worker, api_for):
    event = EventFactory()
    with Receiver() as receiver:
        webhook, secret = create_webhook(event=event, by=event.created_by, url=receiver.url, kinds=["track.created"])
        answer = api_for(event.created_by).post(f"/api/v1/events/{event.pk}/tracks/", {"name": "Main"}, format="json")
        assert answer.status_code == 201
        [request] = receiver.wait_for(1)
        payload = StandardWebhook(secret).verify(request.body, request.headers)
    assert (payload["type"], payload["data"]["name"], payload["event_id"]) == ("track.created", "Main", event.pk)
    wait_until(lambda: webhook.deliveries.filter(state="succeeded").exists())
    assert Change.objects.count() == 0
    # The worker relayed the change itself (the write queued no task), then ran the delivery's task once.
    wait_until(lambda: DBTaskResult.objects.successful().count() == 1)
    assert list(DBTaskResult.objects.values_list("task_path", "status")) == [
        ("events.webhooks.tasks.deliver", "SUCCESSFUL")
    ]


def test_a_rolled_back_write_leaves_no_task_and_sends_nothing(worker):
    event = EventFactory()
    with Receiver() as receiver:
        create_webhook(event=event, by=event.created_by, url=receiver.url, kinds=["track.created"])
        with pytest.raises(RuntimeError), transaction.atomic():
            TrackFactory(event=event, name="Rolled back")
            assert (Change.objects.count(), DBTaskResult.objects.count()) == (1, 0)
            raise RuntimeError("the request failed after the write")
        assert (Change.objects.count(), DBTaskResult.objects.count()) == (0, 0)
        TrackFactory(event=event, name="Committed")  # the worker is alive: this one arrives
        [request] = receiver.wait_for(1)
        time.sleep(0.5)  # time for anything else to arrive
        assert len(receiver.received) == 1
    assert b'"name":"Committed"' in request.body


def test_a_worker_killed_mid_delivery_delivers_once_after_restart(settings, tmp_path, database_queue):
    event = EventFactory()
    # Cut after 2 s, so a lease is 9 s: the second worker takes the delivery once the first one's lease is over.
    env = worker_env(settings, WEBHOOK_TIMEOUT="2")
    with Receiver(Answer(delay=1.5), Answer()) as receiver:
        webhook, secret = create_webhook(event=event, by=event.created_by, url=receiver.url, kinds=["track.created"])
        first = Worker(env=env, log_path=tmp_path / "first.log").start()
        try:
            TrackFactory(event=event)
            receiver.wait_for(1)
            first.kill()  # while the receiver still holds the request
        finally:
            first.stop()
        [delivery] = webhook.deliveries.all()
        assert (delivery.state, delivery.locked_until is not None) == ("pending", True)
        with Worker(env=env, log_path=tmp_path / "second.log", housekeeping_every=0.5):
            requests = receiver.wait_for(2, timeout=40)
            wait_until(lambda: webhook.deliveries.filter(state="succeeded").exists())
    # The receiver saw the message twice under one webhook-id: deduplicated, it arrived once.
    assert len({request.message_id for request in requests}) == 1
    assert {StandardWebhook(secret).verify(r.body, r.headers)["type"] for r in requests} == {"track.created"}
    assert list(webhook.deliveries.values_list("attempt", "state", "status_code")) == [(1, "succeeded", 200)]


def test_a_slow_receiver_does_not_slow_the_write_that_caused_the_change(worker, api_for):
    event = EventFactory()
    track = TrackFactory(event=event)
    api = api_for(event.created_by)
    with Receiver(Answer(delay=3)) as receiver:
        for _ in range(5):
            create_webhook(event=event, by=event.created_by, url=receiver.url, kinds=["track.changed"])
        started = time.monotonic()
        answer = api.patch(f"/api/v1/events/{event.pk}/tracks/{track.pk}/", {"name": "Renamed"}, format="json")
        took = time.monotonic() - started
        assert answer.status_code == 200
        receiver.wait_for(1)
    # Each delivery holds the worker 3 s; the request waited for none of them.
    assert took < 1.0
    assert WebhookDelivery.objects.count() == 5


def test_an_email_queued_behind_slow_deliveries_goes_out_before_them(worker, api_for):
    """Finding (an attacker's probe): a buyer's email waited 72 s behind eight deliveries to one event's slow
    receiver (9 s each), the queue run in the order it was filled. Emails now go first."""
    from core.mail import send_after_commit

    event = EventFactory()
    track = TrackFactory(event=event)
    api = api_for(event.created_by)
    with Receiver(Answer(delay=1.5)) as receiver:
        for _ in range(4):
            create_webhook(event=event, by=event.created_by, url=receiver.url, kinds=["track.changed"])
        assert api.patch(f"/api/v1/events/{event.pk}/tracks/{track.pk}/", {"name": "Renamed"}).status_code == 200
        receiver.wait_for(1)  # the worker is busy with the first delivery
        with transaction.atomic():
            send_after_commit(to="buyer@example.com", subject="Your order", body="Thanks.")
        wait_until(lambda: DBTaskResult.objects.filter(task_path="core.mail.send_email", status="SUCCESSFUL").exists())
        email = DBTaskResult.objects.get(task_path="core.mail.send_email")
        deliveries = DBTaskResult.objects.filter(task_path="events.webhooks.tasks.deliver").order_by("started_at")
        waiting_then = [task for task in deliveries if task.started_at is None or task.started_at > email.finished_at]
    # The one delivery running when the email was queued finished first; the other three waited for the email.
    assert len(waiting_then) == 3
