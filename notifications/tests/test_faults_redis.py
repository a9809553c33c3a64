"""Redis stops while a user is connected: notifications are still saved, requests still succeed, nothing is lost.

A private redis-server on a free port (the shared one on 6379 is never
touched), and the production pair using it on the PostgreSQL test database:
gunicorn serves the API and the pages (its sessions are cached in that
Redis), daphne holds the socket.
"""

import json
import time
import uuid

import pytest
import requests
from rest_framework.authtoken.models import Token
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from core.tests.factories import UserFactory
from core.tests.live import POSTGRES_AND_REDIS, daphne_env, session_cookie
from core.tests.processes import Daphne, Gunicorn, RedisServer
from events.tests.factories import EventFactory
from notifications.models import Notification
from notifications.services import notify

pytestmark = [pytest.mark.faults, *POSTGRES_AND_REDIS, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(log_path=tmp_path / "redis.log").start()
    yield server
    server.stop()


@pytest.fixture
def daphne(settings, tmp_path, redis):
    # notify() in this process uses the private Redis too (it is stopped below).
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": redis.url, "socket_connect_timeout": 1, "socket_timeout": 2}],
                "prefix": f"faults-{uuid.uuid4().hex[:12]}",
            },
        }
    }
    with Daphne(env=daphne_env(settings, tmp_path, redis_url=redis.url), log_path=tmp_path / "daphne.log") as server:
        yield server


@pytest.fixture
def web(tmp_path, daphne):
    # daphne's environment: the same Redis and channel prefix, so the two hear each other.
    with Gunicorn(env=daphne.env, log_path=tmp_path / "gunicorn.log") as server:
        yield server


def open_socket(daphne, cookie):
    return connect(daphne.ws_url(), additional_headers={"Cookie": cookie, "Origin": daphne.origin}, open_timeout=10)


def receive(socket, timeout=10):
    return json.loads(socket.recv(timeout=timeout))


def grant(web, token, event, email):
    """Give the user a role through the API on gunicorn: its notify() pushes after commit."""
    started = time.monotonic()
    response = requests.post(
        web.url(f"/api/v1/events/{event.pk}/invites/"),
        json={"email": email, "role": "coorganizer"},
        headers={"Authorization": f"Token {token}"},
        timeout=30,
    )
    return response, time.monotonic() - started


def test_notifications_made_while_redis_is_down_reach_the_user_on_reconnect(web, daphne, redis):
    user, organizer = UserFactory(), UserFactory()
    events = [EventFactory(created_by=organizer, name=f"Conf {number}") for number in range(4)]
    token = Token.objects.create(user=organizer).key
    cookie = session_cookie(user)

    with open_socket(daphne, cookie) as socket:
        assert receive(socket)["unread_count"] == 0
        response, _ = grant(web, token, events[0], user.email)
        assert response.status_code == 201
        assert receive(socket)["notification"]["title"] == "Invitation: Co-organizer of Conf 0"

        redis.stop()

        # Over HTTP (gunicorn's notify) and straight into the database (this process's notify).
        response, seconds = grant(web, token, events[1], user.email)
        assert response.status_code == 201, response.text
        assert seconds < 10
        saved = notify(user, action=Notification.GENERAL, title="Written while Redis was down")
        assert saved[0].pk is not None
        # A signed-in page: its session is read from the database while the cache is unreachable.
        page = requests.get(web.url("/notifications/"), headers={"Cookie": cookie}, timeout=10, allow_redirects=False)
        assert page.status_code == 200
        assert "Log out" in page.text  # signed in
        try:
            socket.recv(timeout=1)
            pytest.fail("nothing can be pushed while Redis is down")
        except (TimeoutError, ConnectionClosed):
            pass

    redis.start()

    with open_socket(daphne, cookie) as socket:
        snapshot = receive(socket)
        assert snapshot["type"] == "snapshot"
        assert snapshot["unread_count"] == 3
        assert [n["title"] for n in snapshot["notifications"]] == [
            "Written while Redis was down",
            "Invitation: Co-organizer of Conf 1",
            "Invitation: Co-organizer of Conf 0",
        ]
        # Live pushes work again: daphne's channel layer reconnected to the restarted Redis.
        response, _ = grant(web, token, events[2], user.email)
        assert response.status_code == 201
        pushed = receive(socket)
        assert (pushed["type"], pushed["unread_count"]) == ("notification", 4)
        assert pushed["notification"]["title"] == "Invitation: Co-organizer of Conf 2"

    assert Notification.objects.filter(user=user).count() == 4
    assert "Could not push" in web.log_text()
    assert "Cache unreachable" in web.log_text()
