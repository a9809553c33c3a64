"""The outbox: every write path of a VersionedModel records its changes, in its transaction, when wanted."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from core.mail import RETRY_DELAYS, send_after_commit, send_email
from core.models import Change
from events.models import Session, Track
from events.tests.factories import EventFactory, SessionFactory, SpeakerFactory, TrackFactory
from events.webhooks.kinds import KINDS
from events.webhooks.services import create_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    event = EventFactory()
    create_webhook(event=event, by=event.created_by, url="https://hooks.example.org/", kinds=list(KINDS))
    return event


def recorded():
    return list(Change.objects.order_by("id").values_list("kind", "object_id"))


def test_saves_deletes_and_queryset_writes_record_their_changes(event):
    track = TrackFactory(event=event)
    track.name = "Renamed"
    track.save()
    Track.objects.filter(pk=track.pk).update(name="Again")
    session = SessionFactory(event=event, track=track)
    session.speakers.add(SpeakerFactory(event=event))  # a many-to-many change changes the session
    Track.objects.filter(pk=track.pk).delete()  # its session loses the track: changed too
    assert recorded()[:3] == [("track.created", track.pk), ("track.changed", track.pk), ("track.changed", track.pk)]
    kinds = [kind for kind, _pk in recorded()[3:]]
    assert kinds == ["session.created", "speaker.created", "session.changed", "session.changed", "track.deleted"]


def test_bulk_writes_record_one_change_per_row(event):
    tracks = Track.objects.bulk_create([Track(event=event, name=f"T{index}") for index in range(3)])
    for track in tracks:
        track.color = "#000000"
    Track.objects.bulk_update(tracks, ["color"])
    assert recorded() == [("track.created", t.pk) for t in tracks] + [("track.changed", t.pk) for t in tracks]


def test_a_track_scoped_change_keeps_its_track(event):
    track = TrackFactory(event=event)
    session = SessionFactory(event=event, track=track)
    Session.objects.filter(pk=session.pk).update(title="New")
    assert list(Change.objects.filter(model="events.session").values_list("track_id", flat=True)) == [track.pk] * 2


def test_nothing_is_recorded_for_events_nobody_listens_to_or_kinds_nobody_wants(event):
    other = EventFactory()
    TrackFactory(event=other)
    create_webhook(event=other, by=other.created_by, url="https://hooks.example.org/", kinds=["session.created"])
    Track.objects.filter(event=other).update(name="x")
    assert recorded() == []


def test_a_rolled_back_write_records_nothing(event):
    with pytest.raises(RuntimeError), transaction.atomic():
        TrackFactory(event=event)
        raise RuntimeError
    assert recorded() == []


class FailingMailer:
    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")


def test_an_email_is_queued_with_the_transaction_and_retried_when_the_server_fails(
    settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {**settings.TASKS["default"], "BACKEND": "django_tasks_db.DatabaseBackend"}}
    with transaction.atomic():
        send_after_commit(to="ann@example.org", subject="Hello\nthere", body="Hi")
        [queued] = DBTaskResult.objects.all()  # in the writer's transaction
    assert (queued.task_path, queued.args_kwargs["kwargs"]) == (
        "core.mail.send_email",
        {"to": ["ann@example.org"], "subject": "Hello there", "body": "Hi"},
    )
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailingMailer"}}
    assert send_email.call(**queued.args_kwargs["kwargs"]) == "retrying"
    retry = DBTaskResult.objects.exclude(pk=queued.pk).get()
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after - retry.enqueued_at == pytest.approx(RETRY_DELAYS[0], abs=timedelta(seconds=2))
    assert send_email.call(to=["a@example.org"], subject="s", body="b", attempt=len(RETRY_DELAYS) + 1) == "failed"
    assert mail.outbox == []


def test_deleting_one_instance_records_its_deletion(event):
    track = TrackFactory(event=event)
    track_pk = track.pk
    track.delete()
    assert recorded() == [("track.created", track_pk), ("track.deleted", track_pk)]


def test_queryset_writes_of_models_without_tracks_record_their_changes(event):
    from tickets.models import Ticket
    from tickets.tests.factories import TicketFactory

    ticket = TicketFactory(event=event)
    Ticket.objects.filter(pk=ticket.pk).update(name="Renamed")
    Ticket.objects.filter(pk=ticket.pk).delete()
    assert recorded() == [("ticket.created", ticket.pk), ("ticket.changed", ticket.pk), ("ticket.deleted", ticket.pk)]


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_first_waiting_change_wakes_the_workers_and_later_ones_do_not(event, settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("NOTIFY is PostgreSQL's")
    settings.TASKS = {"default": {**settings.TASKS["default"], "BACKEND": "django_tasks_db.DatabaseBackend"}}
    import psycopg

    from core.tasks import WAKE_CHANNEL
    from core.tests.processes import database_url

    with psycopg.connect(database_url(connection.settings_dict), autocommit=True) as listener:
        listener.execute(f"LISTEN {WAKE_CHANNEL}")

        def woken():
            return [notify.channel for notify in listener.notifies(timeout=0.5, stop_after=1)]

        with pytest.raises(RuntimeError), transaction.atomic():
            TrackFactory(event=event)
            raise RuntimeError("rolled back")
        assert woken() == []
        track = TrackFactory(event=event)  # the first change waiting for the relay
        assert woken() == [WAKE_CHANNEL]
        with transaction.atomic():  # two more while it waits: the workers were woken for it already
            track.name = "Renamed"
            track.save()
            track.delete()
        assert woken() == []
        assert [kind for kind, _pk in recorded()] == ["track.created", "track.changed", "track.deleted"]
        assert DBTaskResult.objects.count() == 0  # no task: the workers relay the changes themselves
        Change.objects.all().delete()  # relayed
        TrackFactory(event=event)
        assert woken() == [WAKE_CHANNEL]


def test_a_queryset_write_asks_once_which_events_want_its_changes(event, django_assert_num_queries):
    tracks = [TrackFactory(event=event), TrackFactory(event=event)]
    Change.objects.all().delete()
    # the rows' counters, who wants the changes, the rows to record, the update, the counters' upsert, the changes
    with django_assert_num_queries(6):
        Track.objects.filter(event=event).update(location="Annex")
    assert sorted(Change.objects.values_list("kind", "object_id", "event_id", "track_id")) == [
        ("track.changed", track.pk, event.pk, track.pk) for track in tracks
    ]


def test_a_queryset_delete_records_each_rows_own_id(event):
    TrackFactory(event=EventFactory())  # the tracks' ids are not their event's
    tracks = [TrackFactory(event=event), TrackFactory(event=event)]
    Change.objects.all().delete()
    Track.objects.filter(event=event).delete()
    assert sorted(Change.objects.values_list("kind", "object_id", "event_id")) == [
        ("track.deleted", track.pk, event.pk) for track in tracks
    ]
