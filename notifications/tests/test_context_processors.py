"""The navbar badge: the unread count on every page, one COUNT, hidden at zero."""

import pytest

from notifications.models import Notification
from notifications.services import mark_all_read, notify

INBOX = "/notifications/"
pytestmark = pytest.mark.django_db


def badge_queries(captured):
    return [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"] and '"has_read"' in q["sql"]]


def test_badge_shows_the_unread_count_with_one_query(client_for, django_assert_num_queries, user):
    notify(user, action=Notification.GENERAL, title="One")
    notify(user, action=Notification.GENERAL, title="Two")
    client = client_for(user)

    # The user (the session comes from the cache), the inbox's COUNT and page, the badge's COUNT.
    with django_assert_num_queries(4) as captured:
        response = client.get(INBOX)

    assert len(badge_queries(captured)) == 1
    assert (
        '<span id="notification-badge" class="badge rounded-pill text-bg-danger" data-count="2">2</span>'
        in response.content.decode()
    )


def test_badge_is_hidden_at_zero(client_for, user):
    notify(user, action=Notification.GENERAL, title="One")
    mark_all_read(user=user)

    html = client_for(user).get(INBOX).content.decode()

    assert (
        '<span id="notification-badge" class="badge rounded-pill text-bg-danger d-none" data-count="0">0</span>' in html
    )


def test_no_badge_and_no_count_for_anonymous_visitors(client, django_assert_num_queries):
    with django_assert_num_queries(0) as captured:
        response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert badge_queries(captured) == []
    assert 'id="notification-badge"' not in response.content.decode()
    assert "js/notifications.js" not in response.content.decode()
