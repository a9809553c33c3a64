"""Deliveries to a real HTTP receiver on 127.0.0.1, the tasks run in this process (the immediate backend).

The worker process itself is tested in test_webhook_worker.py; here the same
task code runs at once after commit, so the clock can be moved between attempts.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from core.models import Change
from core.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory, SessionFactory, TrackFactory
from events.tests.receiver import Answer, Receiver
from events.webhooks import delivery as engine
from events.webhooks.models import Webhook, WebhookDelivery
from events.webhooks.services import create_webhook, rotate_secret
from notifications.models import Notification
from permissions.models import RolePermission
from permissions.tests.factories import EventRoleFactory
from tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def event(clock):
    return EventFactory(name="Summit", starts_at=NOW + timedelta(days=30), ends_at=NOW + timedelta(days=32))


def hook(event, receiver, kinds=("track.created", "track.changed", "track.deleted"), by=None):
    return create_webhook(event=event, by=by or event.created_by, url=receiver.url, kinds=list(kinds))


def attempts(webhook):
    return list(webhook.deliveries.order_by("id").values_list("attempt", "state", "status_code", "scheduled_at"))


def test_a_change_arrives_signed_and_verifies_with_standard_webhooks(event, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        webhook, secret = hook(event, receiver)
        with django_capture_on_commit_callbacks(execute=True):
            track = TrackFactory(event=event, name="Main", location="Hall A")
        [request] = receiver.received
    payload = StandardWebhook(secret).verify(request.body, request.headers)
    assert payload == {
        "type": "track.created",
        "timestamp": "2030-03-04T10:00:00Z",
        "event_id": event.pk,
        "data": {
            "id": track.pk,
            "name": "Main",
            "description": "",
            "color": "#0d6efd",
            "location": "Hall A",
            "version": 1,
        },
    }
    assert request.path == "/hooks/in"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "OpenEvent-Webhooks/1.0"
    assert request.headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    assert request.message_id.startswith("msg_")
    [sent] = webhook.deliveries.all()
    assert (sent.state, sent.status_code, sent.attempt, sent.message_id) == ("succeeded", 200, 1, request.message_id)
    assert sent.body.encode() == request.body
    assert Change.objects.count() == 0


def test_a_tampered_body_or_another_secret_fails_verification(event, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        _webhook, secret = hook(event, receiver)
        with django_capture_on_commit_callbacks(execute=True):
            TrackFactory(event=event)
        [request] = receiver.received
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(secret).verify(request.body.replace(b"track", b"trick"), request.headers)
    with pytest.raises(WebhookVerificationError):
        StandardWebhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)


def test_a_rolled_back_change_records_and_sends_nothing(event, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        webhook, _secret = hook(event, receiver)
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            TrackFactory(event=event)
            assert Change.objects.count() == 1
            raise RuntimeError("the request failed after the write")
        assert (callbacks, Change.objects.count(), receiver.received, attempts(webhook)) == ([], 0, [], [])


def test_only_the_kinds_asked_for_are_sent(event, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        hook(event, receiver, kinds=["track.deleted"])
        with django_capture_on_commit_callbacks(execute=True):
            track = TrackFactory(event=event)
            track.name = "Renamed"
            track.save()
            track_id = track.pk
            track.delete()
        [request] = receiver.received
    assert request.body.decode().startswith('{"type":"track.deleted"')
    assert f'"data":{{"id":{track_id},"deleted":true}}' in request.body.decode()


def test_an_event_without_webhooks_records_no_change(event, django_assert_num_queries):
    with django_assert_num_queries(3):  # the insert, the counter bump, whether a webhook wants it
        TrackFactory(event=event)
    assert Change.objects.count() == 0


DATABASE_QUEUE = "django_tasks_db.DatabaseBackend"


@pytest.fixture(params=["django.tasks.backends.immediate.ImmediateBackend", DATABASE_QUEUE])
def queue(request, settings):
    settings.TASKS = {"default": {**settings.TASKS["default"], "BACKEND": request.param}}
    return request.param


@pytest.mark.parametrize("webhooks", [0, 5])
def test_a_write_with_webhooks_costs_one_insert_more_whatever_the_queue(
    event, queue, webhooks, api_for, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    for _ in range(webhooks):
        create_webhook(event=event, by=event.created_by, url="https://hooks.example.org/", kinds=["track.changed"])
    track = TrackFactory(event=event)
    Change.objects.all().delete()
    api = api_for(event.created_by)
    # The event with the user's permissions, the track (the view's three reads), whether the new name is taken,
    # the version claimed, the row, the counter bump, whether a webhook wants the change, two savepoints and their
    # releases; with webhooks, the change's row and nothing more: no relay task queued, no NOTIFY (the row's insert
    # wakes the workers).
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(13 + (1 if webhooks else 0)):
        answer = api.patch(f"/api/v1/events/{event.pk}/tracks/{track.pk}/", {"name": "Renamed"}, format="json")
    assert answer.status_code == 200
    # After the commit: the sockets hear of the new counter; another queue than the database's gets the relay.
    assert len(callbacks) == 1 + (1 if webhooks and queue != DATABASE_QUEUE else 0)
    expected = [("track.changed", track.pk)] if webhooks else []
    assert list(Change.objects.values_list("kind", "object_id")) == expected
    assert DBTaskResult.objects.count() == 0


def test_failures_are_retried_with_exponential_backoff(event, clock, django_capture_on_commit_callbacks):
    with Receiver(Answer(500), Answer(503), Answer(200)) as receiver:
        webhook, _secret = hook(event, receiver)
        with django_capture_on_commit_callbacks(execute=True):
            TrackFactory(event=event)
        assert attempts(webhook) == [(1, "failed", 500, NOW), (2, "pending", None, NOW + timedelta(seconds=30))]
        second = webhook.deliveries.get(attempt=2)
        clock.shift(timedelta(seconds=29))
        assert engine.attempt(second.pk) == "not due"
        clock.shift(timedelta(seconds=1))
        assert engine.attempt(second.pk) == "retry scheduled"
        third_at = NOW + timedelta(seconds=30 + 60)
        assert attempts(webhook)[1:] == [
            (2, "failed", 503, NOW + timedelta(seconds=30)),
            (3, "pending", None, third_at),
        ]
        clock.move_to(third_at)
        assert engine.attempt(webhook.deliveries.get(attempt=3).pk) == "succeeded"
        requests = receiver.received
    assert len({request.message_id for request in requests}) == 1
    assert {request.body for request in requests} == {webhook.deliveries.get(attempt=1).body.encode()}
    assert [request.headers["webhook-timestamp"] for request in requests] == [
        str(int(moment.timestamp())) for moment in (NOW, NOW + timedelta(seconds=30), third_at)
    ]


def test_backoff_doubles_up_to_twelve_hours():
    assert [engine.backoff(attempt).total_seconds() for attempt in (1, 2, 3, 10, 11, 12, 20)] == [
        30,
        60,
        120,
        15360,
        30720,
        43200,
        43200,
    ]


def test_a_410_switches_the_webhook_off_and_tells_the_organizers(event, django_capture_on_commit_callbacks):
    coorganizer = UserFactory()
    EventRoleFactory(user=coorganizer, event=event, role="coorganizer")
    with Receiver(Answer(410)) as receiver:
        webhook, _secret = hook(event, receiver)
        with django_capture_on_commit_callbacks(execute=True):
            TrackFactory(event=event)
            TrackFactory(event=event)  # in the same batch: the webhook is off by its turn
    webhook.refresh_from_db()
    assert (webhook.active, webhook.disabled_reason) == (False, "the receiver answered 410 Gone")
    assert [(a, s, c) for a, s, c, _at in attempts(webhook)] == [(1, "failed", 410), (1, "failed", None)]
    assert webhook.deliveries.order_by("id").last().error == "Not sent: the webhook is switched off."
    notified = Notification.objects.filter(title="A webhook of Summit was switched off")
    assert [notification.user_id for notification in notified] == [event.created_by_id]


def test_three_days_of_failure_switch_the_webhook_off(event, clock, django_capture_on_commit_callbacks):
    with Receiver(Answer(500)) as receiver:
        webhook, _secret = hook(event, receiver)
        with django_capture_on_commit_callbacks(execute=True):
            TrackFactory(event=event)
        while (pending := webhook.deliveries.filter(state="pending").first()) is not None:
            clock.move_to(pending.scheduled_at)
            engine.attempt(pending.pk)
        count = len(receiver.received)
    webhook.refresh_from_db()
    # 30 s doubling to 12 h: the 16th attempt comes 65 h after the first, a 17th would come after 77 h.
    assert count == 16
    assert (webhook.active, webhook.disabled_reason) == (False, "deliveries failed for three days (16 attempts)")
    last = webhook.deliveries.order_by("id").last()
    assert last.scheduled_at - NOW == timedelta(seconds=30 * (2**11 - 1)) + timedelta(hours=48)
    assert Notification.objects.filter(user=event.created_by, title__contains="switched off").count() == 1


def test_a_slow_receiver_is_cut_at_the_timeout_and_retried(event, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_TIMEOUT = 0.5
    with Receiver(Answer(delay=3)) as receiver:
        webhook, _secret = hook(event, receiver)
        with django_capture_on_commit_callbacks(execute=True):
            TrackFactory(event=event)
    first = webhook.deliveries.get(attempt=1)
    assert (first.state, first.status_code, first.error) == ("failed", None, "timed out after 0.5 s")
    assert 450 <= first.duration_ms < 2000
    assert webhook.deliveries.get(attempt=2).state == "pending"


def test_a_closed_connection_and_a_receiver_that_is_down_are_retried(event, django_capture_on_commit_callbacks):
    with Receiver(Answer(close=True)) as receiver:
        webhook, _secret = hook(event, receiver)
        with django_capture_on_commit_callbacks(execute=True):
            TrackFactory(event=event)
    # The receiver has stopped: nothing listens on its port any more.
    second = webhook.deliveries.get(attempt=2)
    second.scheduled_at = second.message_at
    second.save()
    engine.attempt(second.pk)
    errors = list(webhook.deliveries.order_by("id").values_list("attempt", "state", "error"))
    assert errors[0] == (1, "failed", "RemoteDisconnected: Remote end closed connection without response")
    assert errors[1][:2] == (2, "failed") and errors[1][2].startswith("ConnectionRefusedError")
    assert errors[2] == (3, "pending", "")


def test_a_redirect_is_not_followed(event, django_capture_on_commit_callbacks):
    with Receiver(Answer(302)) as receiver:
        webhook, _secret = hook(event, receiver)
        with django_capture_on_commit_callbacks(execute=True):
            TrackFactory(event=event)
        assert len(receiver.received) == 1
    assert attempts(webhook)[0][:3] == (1, "failed", 302)


def test_a_track_limited_owner_gets_only_their_tracks(event, api_for, django_capture_on_commit_callbacks):
    # The super admin lets track organizers manage webhooks and read sessions.
    RolePermission.objects.filter(role__name="track_organizer", service__name="webhook").update(
        can_create=True, can_read=True
    )
    RolePermission.objects.filter(role__name="track_organizer", service__name="session").update(can_read=True)
    mine, theirs = TrackFactory(event=event, name="Mine"), TrackFactory(event=event, name="Theirs")
    owner = UserFactory()
    EventRoleFactory(user=owner, event=event, role="track_organizer", tracks=[mine])
    with Receiver() as receiver:
        answer = api_for(owner).post(
            f"/api/v1/events/{event.pk}/webhooks/",
            {"url": receiver.url, "kinds": ["track.changed", "session.created", "session.deleted"]},
            format="json",
        )
        assert answer.status_code == 201
        with django_capture_on_commit_callbacks(execute=True):
            for track in (mine, theirs):
                track.name += " (renamed)"
                track.save()
            in_mine = SessionFactory(event=event, track=mine, title="In my track")
            SessionFactory(event=event, track=theirs, title="In theirs")
            SessionFactory(event=event, track=None, title="In no track")
            SessionFactory(event=event, track=theirs).delete()
        bodies = [request.body.decode() for request in receiver.received]
    assert [(body.split('"type":"')[1].split('"')[0]) for body in bodies] == ["track.changed", "session.created"]
    assert f'"id":{mine.pk},"name":"Mine (renamed)"' in bodies[0]
    assert f'"id":{in_mine.pk},"title":"In my track"' in bodies[1]
    assert "Theirs" not in "".join(bodies) and "In no track" not in "".join(bodies)


def test_payloads_show_private_fields_only_to_owners_who_may_see_them(event, django_capture_on_commit_callbacks):
    from events.tests.factories import SpeakerFactory

    RolePermission.objects.filter(role__name="moderator", service__name="speaker").update(can_read=True)
    moderator = UserFactory()
    EventRoleFactory(user=moderator, event=event, role="moderator")
    with Receiver() as organizers, Receiver() as moderators:
        hook(event, organizers, kinds=["speaker.created"])
        hook(event, moderators, kinds=["speaker.created"], by=moderator)
        with django_capture_on_commit_callbacks(execute=True):
            SpeakerFactory(event=event, email="ada@example.org")
        assert b'"email":"ada@example.org"' in organizers.received[0].body
        assert b'"email"' not in moderators.received[0].body


def test_semantic_changes_come_from_the_services(event, django_capture_on_commit_callbacks):
    from events.services import publish_event
    from permissions.services import remove_role

    member = UserFactory(email="mo@example.org")
    TicketFactory(event=event)  # publishing needs one
    with Receiver() as receiver:
        hook(event, receiver, kinds=["event.published", "role.granted", "role.removed"])
        # One request each: a payload shows the object as it is when the change is sent.
        with django_capture_on_commit_callbacks(execute=True):
            publish_event(event=event, by=event.created_by)
        with django_capture_on_commit_callbacks(execute=True):
            role = EventRoleFactory(user=member, event=event, role="moderator")
        role_id = role.pk
        with django_capture_on_commit_callbacks(execute=True):
            remove_role(event_role=role, removed_by=event.created_by)
        bodies = [request.body.decode() for request in receiver.received]
    assert [body.split('"type":"')[1].split('"')[0] for body in bodies] == [
        "event.published",
        "role.granted",
        "role.removed",
    ]
    assert f'"id":{event.pk},"name":"Summit"' in bodies[0] and '"state":"published"' in bodies[0]
    assert '"user_email":"mo@example.org","role":"moderator"' in bodies[1]
    assert json.loads(bodies[2])["data"] == {
        "id": role_id,
        "deleted": True,
        "user": member.pk,
        "user_email": "mo@example.org",
        "role": "moderator",
    }


def test_during_a_rotation_both_secrets_sign_for_24_hours(event, clock, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        webhook, old = hook(event, receiver)
        new = rotate_secret(webhook=webhook)
        with django_capture_on_commit_callbacks(execute=True):
            track = TrackFactory(event=event)
        [during] = receiver.received
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        assert StandardWebhook(old).verify(during.body, during.headers)["type"] == "track.created"
        assert StandardWebhook(new).verify(during.body, during.headers)["type"] == "track.created"
        clock.shift(timedelta(hours=24, seconds=1))
        with django_capture_on_commit_callbacks(execute=True):
            track.save()
        _during, after = receiver.received
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert StandardWebhook(new).verify(after.body, after.headers)["type"] == "track.changed"
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(old).verify(after.body, after.headers)


def test_a_name_that_resolves_to_loopback_is_refused_at_delivery_in_production(
    event, settings, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        # Saved while loopback was allowed (development); the name is checked again at every delivery.
        url = receiver.url.replace("127.0.0.1", "localhost")
        webhook, _secret = create_webhook(event=event, by=event.created_by, url=url, kinds=["track.created"])
        settings.WEBHOOK_ALLOW_LOOPBACK = False
        with django_capture_on_commit_callbacks(execute=True):
            TrackFactory(event=event)
        assert receiver.received == []
    first = webhook.deliveries.get(attempt=1)
    assert (first.state, first.error) == (
        "failed",
        "refused: Deliveries go to public addresses only, not to 127.0.0.1.",
    )


def test_a_saved_url_no_longer_valid_fails_its_delivery_instead_of_the_worker(
    event, django_capture_on_commit_callbacks
):
    webhook, _secret = create_webhook(
        event=event, by=event.created_by, url="https://hooks.example.org/", kinds=["track.created"]
    )
    Webhook.objects.filter(pk=webhook.pk).update(url="https://hooks.example.org:99999/")  # saved before the check
    with django_capture_on_commit_callbacks(execute=True):
        TrackFactory(event=event)
    first = webhook.deliveries.get(attempt=1)
    assert (first.state, first.error, first.locked_until) == (
        "failed",
        "refused: Not a valid URL: Port out of range 0-65535",
        None,
    )


def test_at_most_n_deliveries_are_in_flight_per_receiver(event, settings, clock):
    settings.WEBHOOK_MAX_IN_FLIGHT = 1
    webhook, _secret = create_webhook(
        event=event, by=event.created_by, url="https://hooks.example.org/", kinds=["track.created"]
    )
    busy = WebhookDelivery.objects.create(webhook=webhook, kind="x", body="{}", host="hooks.example.org")
    busy.locked_until = NOW + timedelta(seconds=20)
    busy.save()
    waiting = WebhookDelivery.objects.create(webhook=webhook, kind="x", body="{}", host="hooks.example.org")
    assert engine.attempt(waiting.pk) == "waiting for a slot"
    waiting.refresh_from_db()
    assert (waiting.state, waiting.scheduled_at, waiting.started_at) == ("pending", NOW + timedelta(seconds=1), None)


def test_a_manual_delivery_is_sent_once_even_while_the_webhook_is_off(event, django_capture_on_commit_callbacks):
    from events.webhooks.services import send_ping, update_webhook

    with Receiver(Answer(500)) as receiver:
        webhook, secret = hook(event, receiver)
        update_webhook(webhook=webhook, active=False)
        with django_capture_on_commit_callbacks(execute=True):
            send_ping(webhook=webhook)
        [request] = receiver.received
    assert StandardWebhook(secret).verify(request.body, request.headers)["data"] == {
        "webhook": webhook.pk,
        "url": receiver.url,
    }
    assert [(a, s, c) for a, s, c, _at in attempts(webhook)] == [(1, "failed", 500)]
    webhook.refresh_from_db()
    assert (webhook.active, webhook.disabled_reason) == (False, "")


def test_the_sweep_relays_old_changes_and_queues_lost_attempts_again(event, clock):
    webhook, _secret = create_webhook(
        event=event, by=event.created_by, url="https://h.example.org/", kinds=["track.created"]
    )
    lost = WebhookDelivery.objects.create(webhook=webhook, kind="x", body="{}", host="h", nudged_at=NOW)
    abandoned = WebhookDelivery.objects.create(
        webhook=webhook, kind="x", body="{}", host="h", locked_until=NOW + engine.lease(), nudged_at=NOW
    )
    TrackFactory(event=event)  # its change is recorded; its relay task never runs here
    clock.shift(timedelta(minutes=6))
    assert engine.sweep() == {"relayed": 1, "queued": 2, "pruned": 0}
    nudged = set(WebhookDelivery.objects.filter(nudged_at=NOW + timedelta(minutes=6)).values_list("pk", flat=True))
    relayed = webhook.deliveries.get(kind="track.created")
    assert nudged == {lost.pk, abandoned.pk, relayed.pk}  # the relayed one: queued as it was made
    assert engine.sweep() == {"relayed": 0, "queued": 0, "pruned": 0}


def test_the_sweep_prunes_the_log_after_30_days(event, clock):
    webhook, _secret = create_webhook(
        event=event, by=event.created_by, url="https://h.example.org/", kinds=["track.created"]
    )
    WebhookDelivery.objects.create(webhook=webhook, kind="x", body="{}", host="h", state="succeeded")
    clock.shift(timedelta(days=30))
    kept = WebhookDelivery.objects.create(webhook=webhook, kind="x", body="{}", host="h", state="failed")
    clock.shift(timedelta(seconds=1))
    assert engine.sweep() == {"relayed": 0, "queued": 0, "pruned": 1}
    assert list(webhook.deliveries.values_list("pk", flat=True)) == [kept.pk]


@pytest.mark.parametrize("count", [1, 3])
def test_the_relay_costs_the_same_queries_for_one_or_three_changes(event, count, django_assert_num_queries):
    webhook, _secret = create_webhook(
        event=event, by=event.created_by, url="https://hooks.example.org/", kinds=["track.created"]
    )
    other = EventFactory(state=Event.PUBLISHED)
    create_webhook(event=other, by=other.created_by, url="https://other.example.org/", kinds=["track.created"])
    for _ in range(count):
        TrackFactory(event=event)
        TrackFactory(event=other)
    # savepoint, the changes (locked), their events, the webhooks with owners, the tracks, each owner's
    # permissions (2 owners), insert the deliveries, delete the changes, release.
    with django_assert_num_queries(10):
        assert engine.relay_changes() == 2 * count
    assert webhook.deliveries.count() == count
