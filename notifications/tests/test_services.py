import logging
import re

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.db import connections

from core.tests.database import prepared_statements
from core.tests.factories import UserFactory
from core.tests.layer import heard_after_commit
from core.versioning import read_counters
from notifications.models import Notification
from notifications.payloads import notification_payload
from notifications.services import (
    mark_all_read,
    mark_read,
    mark_read_leading_to,
    notifications_counter,
    notify,
    sanitize,
    unread_counts,
    user_group,
)

from .sockets import receive, socket_for


def counters(*users):
    values = read_counters([notifications_counter(user.pk) for user in users])
    return list(values.values())


def pushed(user, act, capture_on_commit):
    """Run ``act()`` and commit; return (what it returned, the message the user's group then got, the commit
    callbacks). ``act`` runs in this (the test's) thread, inside the test's transaction."""
    group = user_group(user.pk)
    result, heard, callbacks = heard_after_commit([group], act, capture_on_commit)
    return result, heard[group][0], callbacks


def test_sanitize_strips_scripts_and_makes_links_safe():
    html = (
        '<p onclick="steal()">Hi <script>alert(1)</script><strong>there</strong>, '
        '<a href="https://example.com/x" target="_self" rel="opener">see</a> '
        '<a href="javascript:alert(2)">this</a><img src=x onerror=alert(3)></p>'
    )

    assert sanitize(html) == (
        "<p>Hi <strong>there</strong>, "
        '<a href="https://example.com/x" target="_blank" rel="noopener noreferrer nofollow">see</a> '
        '<a target="_blank" rel="noopener noreferrer nofollow">this</a></p>'
    )


@pytest.mark.django_db
def test_notify_stores_the_sanitized_message(user):
    [notification] = notify(
        user,
        action=Notification.GENERAL,
        title="Welcome",
        message='<script>alert(1)</script><a href="/events/1/">Your event</a>',
        url="/events/1/",
    )

    stored = Notification.objects.get(pk=notification.pk)
    assert stored.message == '<a href="/events/1/" target="_blank" rel="noopener noreferrer nofollow">Your event</a>'
    assert (stored.user_id, stored.title, stored.action, stored.url, stored.has_read) == (
        user.pk,
        "Welcome",
        "general",
        "/events/1/",
        False,
    )


@pytest.mark.django_db
def test_notify_accepts_users_ids_and_duplicates_once_each():
    first, second = UserFactory(), UserFactory()

    notifications = notify([first, second.pk, first], action=Notification.GENERAL, title="Hi")

    assert [n.user_id for n in notifications] == [first.pk, second.pk]
    assert Notification.objects.filter(title="Hi").count() == 2


@pytest.mark.django_db
def test_notify_to_nobody_saves_nothing_and_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert notify([], action=Notification.GENERAL, title="Nobody") == []


@pytest.mark.django_db
def test_notify_refuses_an_unknown_action(user):
    with pytest.raises(ValueError, match="Unknown notification action 'party'"):
        notify(user, action="party", title="Hi")
    assert Notification.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/events/1/", "https://example.com/a?b=c", "http://example.com/", ""])
def test_notify_accepts_site_paths_and_http_urls(user, url):
    [notification] = notify(user, action=Notification.GENERAL, title="Hi", url=url)
    assert Notification.objects.get(pk=notification.pk).url == url


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " javascript:alert(1)",
        "//evil.example/",
        "///evil.example/",  # browsers read it as //evil.example/
        "/\\evil.example/",
        "data:text/html,x",
        "relative/path",
    ],
)
def test_notify_refuses_urls_that_could_run_script_or_leave_unnoticed(user, url):
    with pytest.raises(ValueError, match="A notification URL must be"):
        notify(user, action=Notification.GENERAL, title="Hi", url=url)
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_notify_to_a_thousand_users_costs_a_constant_number_of_queries(django_assert_num_queries):
    users = get_user_model().objects.bulk_create(UserFactory.build_batch(1000, password="!"))
    notify(users[:1], action=Notification.GENERAL, title="Warm-up")  # counters exist from here on, for one user

    # SAVEPOINT, one INSERT of the 1,000 notifications, one upsert of the 1,000 counters,
    # one count of everyone's unread notifications (the pushes carry it), RELEASE.
    with django_assert_num_queries(5) as captured:
        notify(users, action=Notification.GENERAL, title="Everyone")

    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "notifications_')]
    assert len(inserts) == 1
    assert Notification.objects.filter(title="Everyone").count() == 1000
    assert counters(users[0], users[1], users[999]) == [2, 1, 1]

    # Once every counter exists, one UPDATE bumps them all.
    with django_assert_num_queries(5):
        notify(users, action=Notification.GENERAL, title="Again")
    assert counters(users[0], users[1], users[999]) == [3, 2, 2]


@pytest.mark.django_db
def test_notify_pushes_to_the_users_group_only_after_commit(user, django_capture_on_commit_callbacks):
    send = lambda: notify(user, action=Notification.GENERAL, title="Hi", message="<p>Hello</p>")  # noqa: E731
    [notification], message, callbacks = pushed(user, send, django_capture_on_commit_callbacks)

    # The push is the commit callback, not something notify() did on its own.
    assert len(callbacks) == 1
    assert message == {
        "type": "notification.created",
        "notification": notification_payload(notification),
        "unread_count": 1,
    }


@pytest.mark.django_db
def test_mark_read_marks_only_own_unread_and_bumps_once(user):
    other = UserFactory()
    mine = notify(user, action=Notification.GENERAL, title="Mine")[0]
    foreign = notify(other, action=Notification.GENERAL, title="Foreign")[0]

    assert mark_read(user=user, ids=[mine.pk, foreign.pk]) == 1
    assert mark_read(user=user, ids=[mine.pk]) == 0

    mine.refresh_from_db()
    foreign.refresh_from_db()
    assert (mine.has_read, mine.read_at is not None) == (True, True)
    assert (foreign.has_read, foreign.read_at) == (False, None)
    assert counters(user, other) == [2, 1]


@pytest.mark.django_db
def test_mark_all_read_marks_only_own_and_bumps_only_on_change(user):
    other = UserFactory()
    for title in ("One", "Two"):
        notify([user, other], action=Notification.GENERAL, title=title)

    assert mark_all_read(user=user) == 2
    assert mark_all_read(user=user) == 0

    assert list(Notification.objects.filter(has_read=False).values_list("user_id", flat=True)) == [other.pk] * 2
    assert counters(user, other) == [3, 2]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "backend", ["channels_redis.pubsub.RedisPubSubChannelLayer", "channels_redis.core.RedisChannelLayer"]
)
def test_notify_with_the_channel_layer_down_saves_warns_once_and_shows_on_next_connect(
    backend, settings, caplog, fresh_channel_layer, fresh_broadcaster, user
):
    # Nothing listens on port 1: every connection attempt is refused.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": backend, "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}
    with caplog.at_level(logging.WARNING):
        [notification] = notify(user, action=Notification.GENERAL, title="While down")
        [still] = notify(user, action=Notification.GENERAL, title="Still down")
        assert fresh_broadcaster.wait_until_idle() is True

    assert Notification.objects.filter(user=user, has_read=False).count() == 2
    # Logged once for the outage, from the sending loop; the requests never waited for it.
    assert [(r.name, r.levelname) for r in caplog.records] == [("core.broadcast", "WARNING")]
    # One batch or two, depending on when the sending loop woke up.
    assert re.match(r"Could not push [12] message\(s\) to the channel layer \(", caplog.records[0].getMessage())

    settings.CHANNEL_LAYERS = {"default": fresh_channel_layer}  # the layer is back

    async def snapshot():
        async with socket_for(user) as socket:
            return await receive(socket)

    assert async_to_sync(snapshot)() == {
        "type": "snapshot",
        "unread_count": 2,
        "notifications": [notification_payload(still), notification_payload(notification)],
    }


@pytest.mark.django_db
def test_mark_read_leading_to_marks_only_own_unread_with_those_urls(user, django_assert_num_queries):
    other = UserFactory()
    [invite] = notify(user, action=Notification.GENERAL, title="Invite", url="/roles/invites/1/answer/")
    [elsewhere] = notify(user, action=Notification.GENERAL, title="Elsewhere", url="/events/1/")
    [foreign] = notify(other, action=Notification.GENERAL, title="Foreign", url="/roles/invites/1/answer/")

    assert mark_read_leading_to(user=user, urls=["/roles/invites/1/answer/", "/roles/invites/tok/"]) == 1
    # Nothing left to mark: one query, nothing written, nothing pushed.
    with django_assert_num_queries(1):
        assert mark_read_leading_to(user=user, urls=["/roles/invites/1/answer/"]) == 0

    read = dict(Notification.objects.values_list("pk", "has_read"))
    assert read == {invite.pk: True, elsewhere.pk: False, foreign.pk: False}
    assert counters(user, other) == [3, 1]


@pytest.mark.django_db
def test_mark_read_pushes_the_new_unread_count_after_commit(user, django_capture_on_commit_callbacks):
    first, second = (notify(user, action=Notification.GENERAL, title=title)[0] for title in ("One", "Two"))

    one_left, message_one, _ = pushed(
        user, lambda: mark_read(user=user, ids=[first.pk]), django_capture_on_commit_callbacks
    )
    none_left, message_none, _ = pushed(
        user, lambda: mark_read(user=user, ids=[second.pk]), django_capture_on_commit_callbacks
    )
    assert (one_left, message_one) == (1, {"type": "unread.changed", "unread_count": 1})
    assert (none_left, message_none) == (1, {"type": "unread.changed", "unread_count": 0})


@pytest.mark.django_db
def test_mark_all_read_stamps_the_time_and_pushes_zero(user, django_capture_on_commit_callbacks):
    for title in ("One", "Two"):
        notify(user, action=Notification.GENERAL, title=title)

    changed, message, _ = pushed(user, lambda: mark_all_read(user=user), django_capture_on_commit_callbacks)
    assert (changed, message) == (2, {"type": "unread.changed", "unread_count": 0})
    assert Notification.objects.filter(user=user, read_at=None).count() == 0


@pytest.mark.django_db
def test_notify_and_the_unread_counts_go_in_batches(monkeypatch, django_assert_num_queries):
    users = UserFactory.create_batch(5)
    notify(users[:1], action=Notification.GENERAL, title="Warm-up")
    monkeypatch.setattr("notifications.services.BATCH_SIZE", 2)

    # SAVEPOINT, three INSERTs of at most two notifications, one upsert of the five counters, three counts, RELEASE.
    with django_assert_num_queries(9) as captured:
        notify(users, action=Notification.GENERAL, title="Everyone")

    counts = [q["sql"] for q in captured.captured_queries if 'COUNT("notifications_notification"."id")' in q["sql"]]
    assert len(counts) == 3
    assert unread_counts([user.pk for user in users]) == {users[0].pk: 2, **{user.pk: 1 for user in users[1:]}}


@pytest.mark.django_db
def test_unread_counts_are_those_of_the_users_asked_for():
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    notify([first, second, third], action=Notification.GENERAL, title="One")
    notify([first], action=Notification.GENERAL, title="Two")

    assert unread_counts([first.pk, second.pk]) == {first.pk: 2, second.pk: 1}


@pytest.mark.django_db
@pytest.mark.skipif(connections["default"].vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_unread_count_runs_prepared_and_counts_each_notify(user):
    counts = [notify(user, action=Notification.GENERAL, title=title) and unread_counts([user.pk]) for title in "ABC"]

    # notify() counts in every call: prepared by its second run (threshold 1), the user's id bound, not written in.
    (count,) = prepared_statements('"notifications_notification"."user_id" IN ($1)) GROUP BY')
    assert count.endswith("IN ($1)) GROUP BY 1") and 'COUNT("notifications_notification"."id")' in count
    assert counts == [{user.pk: 1}, {user.pk: 2}, {user.pk: 3}]


@pytest.mark.django_db
def test_notify_stores_what_it_was_given_and_nothing_more(user):
    [notification] = notify(user, action=Notification.ROLE_INVITE, title="T" * 250)
    stored = Notification.objects.get(pk=notification.pk)
    assert (stored.action, len(stored.title), stored.message, stored.url) == (Notification.ROLE_INVITE, 200, "", "")


def test_sanitize_keeps_only_the_allowed_attributes_and_link_schemes():
    html = (
        '<p class="y" style="color:red">Hi <a href="ftp://example.com/f" hreflang="en" class="z">file</a> '
        '<a href="mailto:a@b.c">me</a></p>'
    )
    assert sanitize(html) == (
        '<p>Hi <a target="_blank" rel="noopener noreferrer nofollow">file</a> '
        '<a href="mailto:a@b.c" target="_blank" rel="noopener noreferrer nofollow">me</a></p>'
    )
    assert sanitize(None) == ""
