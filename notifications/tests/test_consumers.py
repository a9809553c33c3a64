"""The notifications socket, through eventsite.asgi (origin check, session auth, routing).

These run on the in-memory layer, and on Redis when REDIS_URL is set.
"""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.db.models import F

from core.tests.factories import UserFactory
from notifications.models import Notification
from notifications.payloads import notification_payload
from notifications.services import notify

from .sockets import communicator_for, receive, socket_for

pytestmark = pytest.mark.django_db(transaction=True)

create_user = database_sync_to_async(UserFactory)


@database_sync_to_async
def notify_one(user, title="Hello"):
    [notification] = notify(user, action=Notification.GENERAL, title=title, message="<p>Hi</p>", url="/events/")
    return notification


@database_sync_to_async
def read_state(notification):
    notification.refresh_from_db()
    return notification.has_read, notification.read_at is not None


async def test_consumer_refuses_anonymous_users():
    communicator = await communicator_for(None)
    connected, _ = await communicator.connect()
    assert connected is False


async def test_consumer_refuses_foreign_origins():
    user = await create_user()
    communicator = await communicator_for(user, origin="https://evil.example")
    connected, _ = await communicator.connect()
    assert connected is False


async def test_consumer_sends_a_snapshot_of_the_latest_unread_on_connect(settings):
    settings.NOTIFICATIONS_LATEST = 3
    user, other = await create_user(), await create_user()
    created = [await notify_one(user, title=f"Number {i}") for i in range(5)]
    await database_sync_to_async(lambda: Notification.objects.filter(pk=created[4].pk).update(has_read=True))()
    # Received an hour ago: "an hour ago" in the payload stays the same from the snapshot to the check below
    # ("now" could turn into "a second ago" between the two on a busy machine).
    mine = Notification.objects.filter(user=user)
    await database_sync_to_async(lambda: mine.update(received_at=F("received_at") - timedelta(hours=1)))()
    await notify_one(other)

    async with socket_for(user) as socket:
        snapshot = await receive(socket)
        assert await socket.receive_nothing()

    created = await database_sync_to_async(lambda: list(mine.order_by("pk")))()
    assert {notification_payload(n)["received_ago"] for n in created} == {"an hour ago"}
    newest_unread = [created[3], created[2], created[1]]
    assert snapshot == {
        "type": "snapshot",
        "unread_count": 4,
        "notifications": [notification_payload(n) for n in newest_unread],
    }


async def test_consumer_pushes_a_new_notification_with_the_fresh_count():
    user = await create_user()
    await notify_one(user, title="Before")
    async with socket_for(user) as socket:
        assert (await receive(socket))["unread_count"] == 1

        notification = await notify_one(user, title="Live")

        assert await receive(socket) == {
            "type": "notification",
            "unread_count": 2,
            "notification": notification_payload(notification),
        }


async def test_consumer_pushes_to_every_tab_of_the_user_and_no_one_else():
    user, other = await create_user(), await create_user()
    async with socket_for(user) as first, socket_for(user) as second, socket_for(other) as stranger:
        for socket in (first, second, stranger):
            assert (await receive(socket))["unread_count"] == 0

        notification = await notify_one(user)

        expected = {"type": "notification", "unread_count": 1, "notification": notification_payload(notification)}
        assert await receive(first) == expected
        assert await receive(second) == expected
        assert await stranger.receive_nothing()


async def test_consumer_mark_read_marks_own_and_tells_every_tab():
    user = await create_user()
    first_notification = await notify_one(user)
    await notify_one(user)
    async with socket_for(user) as first, socket_for(user) as second:
        for socket in (first, second):
            assert (await receive(socket))["unread_count"] == 2

        await first.send_json_to({"type": "mark_read", "id": first_notification.pk})

        assert await receive(first) == {"type": "unread_count", "unread_count": 1}
        assert await receive(second) == {"type": "unread_count", "unread_count": 1}
    assert await read_state(first_notification) == (True, True)


async def test_consumer_mark_read_of_an_already_read_one_answers_only_that_tab():
    user = await create_user()
    notification = await notify_one(user)
    await database_sync_to_async(lambda: Notification.objects.filter(pk=notification.pk).update(has_read=True))()
    async with socket_for(user) as first, socket_for(user) as second:
        for socket in (first, second):
            assert (await receive(socket))["unread_count"] == 0

        await first.send_json_to({"type": "mark_read", "id": notification.pk})

        assert await receive(first) == {"type": "unread_count", "unread_count": 0}
        assert await second.receive_nothing()


async def test_consumer_mark_read_of_someone_elses_notification_is_an_error_and_changes_nothing():
    user, other = await create_user(), await create_user()
    foreign = await notify_one(other)
    async with socket_for(user) as socket, socket_for(other) as owner:
        await receive(socket)
        await receive(owner)

        await socket.send_json_to({"type": "mark_read", "id": foreign.pk})

        assert await receive(socket) == {"type": "error", "error": "No such notification."}
        assert await socket.receive_nothing()
        assert await owner.receive_nothing()
    assert await read_state(foreign) == (False, False)


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ('{"type": "mark_read", "id": "1"}', "mark_read needs the integer id of one of your notifications."),
        ('{"type": "mark_read", "id": true}', "mark_read needs the integer id of one of your notifications."),
        ('{"type": "mark_read", "id": 1e3}', "mark_read needs the integer id of one of your notifications."),
        (
            '{"type": "mark_read", "id": 99999999999999999999999}',
            "mark_read needs the integer id of one of your notifications.",
        ),
        ('{"type": "mark_read"}', "mark_read needs the integer id of one of your notifications."),
        ('{"type": "delete_everything"}', 'Expected {"type": "mark_read", "id": <id>} or {"type": "mark_all_read"}.'),
        ('["mark_all_read"]', 'Expected {"type": "mark_read", "id": <id>} or {"type": "mark_all_read"}.'),
        ("mark_all_read", "The message is not valid JSON."),
        (b"\x00\x01", "Send JSON as text frames."),
    ],
    ids=["string-id", "bool-id", "float-id", "huge-id", "no-id", "unknown-type", "list", "not-json", "binary"],
)
async def test_consumer_answers_a_bad_message_with_an_error_and_stays_open(frame, error):
    user = await create_user()
    notification = await notify_one(user)
    async with socket_for(user) as socket:
        await receive(socket)

        if isinstance(frame, bytes):
            await socket.send_to(bytes_data=frame)
        else:
            await socket.send_to(text_data=frame)

        assert await receive(socket) == {"type": "error", "error": error}
        await socket.send_json_to({"type": "mark_all_read"})
        assert await receive(socket) == {"type": "unread_count", "unread_count": 0}
    assert await read_state(notification) == (True, True)


async def test_consumer_mark_all_read_marks_only_own_and_tells_every_tab():
    user, other = await create_user(), await create_user()
    mine = [await notify_one(user) for _ in range(3)]
    foreign = await notify_one(other)
    async with socket_for(user) as first, socket_for(user) as second:
        for socket in (first, second):
            assert (await receive(socket))["unread_count"] == 3

        await second.send_json_to({"type": "mark_all_read"})

        assert await receive(first) == {"type": "unread_count", "unread_count": 0}
        assert await receive(second) == {"type": "unread_count", "unread_count": 0}
    assert [await read_state(n) for n in mine] == [(True, True)] * 3
    assert await read_state(foreign) == (False, False)


async def test_consumer_mark_all_read_with_nothing_unread_answers_only_that_tab():
    user = await create_user()
    async with socket_for(user) as first, socket_for(user) as second:
        await receive(first)
        await receive(second)

        await first.send_json_to({"type": "mark_all_read"})

        assert await receive(first) == {"type": "unread_count", "unread_count": 0}
        assert await second.receive_nothing()
