"""set_background / remove_background: files replaced and removed, nothing left behind on failure, versions move."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from core.versioning import StaleObjectError, counter_key, read_counters
from events.background import BackgroundError
from events.models import Event
from events.services import remove_background, set_background
from events.tests.factories import EventFactory
from events.tests.test_background import image_bytes, stored_files

pytestmark = pytest.mark.django_db


def png(size=(980, 490)):
    return ContentFile(image_bytes("PNG", size), name="upload.png")


@pytest.fixture
def event():
    return EventFactory()


def test_set_background_replacing_deletes_the_old_file(event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        set_background(event=event, upload=png(), by=event.created_by)
    first = event.background.name
    assert stored_files() == [first.removeprefix("backgrounds/")]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        set_background(event=event, upload=png(), by=event.created_by)

    second = Event.objects.get(pk=event.pk).background.name
    # After commit: delete the old file, and tell the event's sockets (versions changed).
    assert (len(callbacks), second == first) == (2, False)
    assert stored_files() == [second.removeprefix("backgrounds/")]
    assert not default_storage.exists(first)


def test_set_background_keeps_the_old_file_until_commit(event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        set_background(event=event, upload=png(), by=event.created_by)
    first = event.background.name

    # Not executed: as if the surrounding transaction had not committed (yet).
    with django_capture_on_commit_callbacks(execute=False):
        set_background(event=event, upload=png(), by=event.created_by)

    assert default_storage.exists(first)
    assert len(stored_files()) == 2


def test_remove_background_deletes_the_file_and_clears_the_field(event, django_capture_on_commit_callbacks):
    set_background(event=event, upload=png(), by=event.created_by)
    name = event.background.name
    version = Event.objects.get(pk=event.pk).version

    with django_capture_on_commit_callbacks(execute=True):
        remove_background(event=event, by=event.created_by)

    stored = Event.objects.get(pk=event.pk)
    assert (stored.background.name, stored.version, event.version) == ("", version + 1, version + 1)
    assert not default_storage.exists(name)
    assert stored_files() == []


def test_remove_background_without_one_changes_nothing(event):
    version = event.version
    remove_background(event=event, by=event.created_by)
    assert Event.objects.get(pk=event.pk).version == version


def test_set_background_refused_image_writes_nothing(event):
    version = event.version
    with pytest.raises(BackgroundError):
        set_background(event=event, upload=png((100, 100)), by=event.created_by)
    assert stored_files() == []
    stored = Event.objects.get(pk=event.pk)
    assert (stored.background.name, stored.version) == ("", version)


def test_set_background_failed_save_removes_the_new_file_and_keeps_the_event(event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        set_background(event=event, upload=png(), by=event.created_by)
    first, version = event.background.name, event.version
    # Someone renames the event after this instance was read: its save fails
    # (optimistic locking) after the new file was written.
    Event.objects.filter(pk=event.pk).update(name="Renamed meanwhile")

    with pytest.raises(StaleObjectError):
        set_background(event=event, upload=png(), by=event.created_by)

    assert stored_files() == [first.removeprefix("backgrounds/")]
    stored = Event.objects.get(pk=event.pk)
    assert (stored.name, stored.background.name, stored.version) == ("Renamed meanwhile", first, version + 1)
    assert (event.background.name, event.version) == (first, version)


def test_set_background_on_a_deleted_event_leaves_no_file(event):
    Event.objects.filter(pk=event.pk).delete()
    with pytest.raises(StaleObjectError):
        set_background(event=event, upload=png(), by=event.created_by)
    assert stored_files() == []


def test_set_background_bumps_the_event_counters(event):
    keys = [counter_key("event", event.pk, "event"), "site.all.events"]
    before = read_counters(keys)
    set_background(event=event, upload=png(), by=event.created_by)
    assert read_counters(keys) == {key: value + 1 for key, value in before.items()}


def test_background_upload_and_removal_change_the_event_etag(event, api_for):
    api = api_for(event.created_by)
    url = f"/api/v1/events/{event.pk}/"
    first = api.get(url)["ETag"]

    uploaded = api.post(f"{url}background/", {"background": png()}, format="multipart")
    second = api.get(url)

    assert uploaded.status_code == 200
    assert second["ETag"] != first
    assert second.json()["background_url"] == uploaded.json()["background_url"]
    assert api.get(url, HTTP_IF_NONE_MATCH=first).status_code == 200
    assert api.get(url, HTTP_IF_NONE_MATCH=second["ETag"]).status_code == 304

    removed = api.delete(f"{url}background/")
    third = api.get(url)
    assert (removed.status_code, removed.json()) == (200, {"status": "ok", "background_url": None})
    assert third["ETag"] not in (first, second["ETag"])
    assert third.json()["background_url"] is None
