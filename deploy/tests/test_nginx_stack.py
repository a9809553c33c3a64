"""The production stack, for real: nginx in front of gunicorn (HTTP) and two daphne (/ws/) on PostgreSQL + Redis.

Runs when DATABASE_URL points at PostgreSQL, REDIS_URL is set and nginx is
installed (.ci/run's second pass); skipped otherwise, with the reason. The
processes run with the repository's own deploy/gunicorn.conf.py,
eventsite/wsgi.py and eventsite/asgi.py, behind deploy/nginx's locations.
"""

import contextlib
import http.client
import json
import os
import re
import shutil
import time
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import global_settings
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from core.tests.factories import UserFactory
from core.tests.processes import Daphne, Gunicorn, Nginx, collected_static, database_url, production_env
from events.tests.factories import EventFactory

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "through-nginx-passphrase-42"

pytestmark = [
    pytest.mark.nginx,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (.ci/run installs it)"),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: the web server and the socket servers share Redis"
    ),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs DATABASE_URL on PostgreSQL"
    ),
]


def read_access_log(stack, until, count=1, timeout=5):
    """Return nginx's access log once it holds ``until`` ``count`` times (nginx writes a line after the
    response; a socket's line when it closes)."""
    deadline = time.monotonic() + timeout
    while True:
        text = stack["nginx"].access_log_text()
        if text.count(until) >= count or time.monotonic() > deadline:
            return text
        time.sleep(0.05)


class Browser:
    """A minimal HTTP client that keeps cookies (Secure ones too: this is plain HTTP on loopback)."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response, content

    def login(self, email, password):
        response, page = self.request("GET", "/accounts/login/")
        assert response.status == 200
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = f"csrfmiddlewaretoken={token}&username={email}&password={password}"
        response, _ = self.request(
            "POST", "/accounts/login/", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert response.status == 302, "login through nginx failed"
        assert "sessionid" in self.cookies


@pytest.fixture
def stack(transactional_db, settings, tmp_path):
    """Start gunicorn (web), two daphne (sockets A, B) and nginx with three fronts.

    Every front sends HTTP to gunicorn; /ws/ goes to both socket servers on
    "pool", to A only on "a" and to B only on "b".
    """
    static_root, media_root = collected_static(), tmp_path / "media"
    media_root.mkdir()
    env = production_env(
        database_url=database_url(settings.DATABASES["default"]),
        redis_url=os.environ["REDIS_URL"],
        static_root=static_root,
        media_root=media_root,
        CHANNELS_PREFIX=f"nginxtest{os.getpid()}",
        # As deploy/env.example: the servers and this process (which writes too) share the write generation.
        READ_CACHE_FILE=tmp_path / "write-generation",
    )
    settings.READ_CACHE_FILE = env["READ_CACHE_FILE"]
    web = Gunicorn(env=env, log_path=tmp_path / "gunicorn.log", workers=2)
    daphnes = {
        name: Daphne(env=env, log_path=tmp_path / f"daphne-{name}.log", proxy_headers=True) for name in ("a", "b")
    }
    a, b = daphnes["a"].port, daphnes["b"].port
    nginx = Nginx(
        folder=tmp_path / "nginx",
        web_port=web.port,
        fronts={"pool": [a, b], "a": [a], "b": [b]},
        static_root=static_root,
        media_root=media_root,
        # Each socket holds two connections (client and upstream): room for 256 sockets and more.
        worker_connections=1024,
    )
    try:
        web.start()
        for daphne in daphnes.values():
            daphne.start()
        nginx.start()
        yield {"front": nginx.ports, "nginx": nginx, "web": web, "daphnes": daphnes}
    finally:
        nginx.stop()
        web.stop()
        for daphne in daphnes.values():
            daphne.stop()


def open_socket(port, cookie):
    return connect(
        f"ws://127.0.0.1:{port}/ws/notifications/",
        additional_headers={"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"},
        open_timeout=10,
    )


def test_sockets_on_both_daphnes_receive_a_notification_caused_by_an_api_call_on_gunicorn(stack, settings):
    # The web server checks passwords with the production hashers.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    UserFactory(email="invitee@example.com", password=PASSWORD)
    organizer = UserFactory(email="organizer@example.com", password=PASSWORD)
    event = EventFactory(created_by=organizer, name="Nginx Conf")
    front, web = stack["front"], stack["web"]

    browser = Browser(front["pool"])
    browser.login("invitee@example.com", PASSWORD)  # a page and a form post, served by gunicorn
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    # Two tabs of the invitee: one socket held by daphne A, one by daphne B.
    with open_socket(front["a"], cookie) as socket_on_a, open_socket(front["b"], cookie) as socket_on_b:
        for socket in (socket_on_a, socket_on_b):
            snapshot = json.loads(socket.recv(timeout=10))
            assert (snapshot["type"], snapshot["unread_count"]) == ("snapshot", 0)

        api = Browser(front["pool"])
        response, body = api.request(
            "POST",
            "/api/v1/auth/token/",
            json.dumps({"username": "organizer@example.com", "password": PASSWORD}),
            {"Content-Type": "application/json"},
        )
        token = json.loads(body)["token"]
        response, body = api.request(
            "POST",
            f"/api/v1/events/{event.pk}/invites/",
            json.dumps({"email": "invitee@example.com", "role": "coorganizer"}),
            {"Content-Type": "application/json", "Authorization": f"Token {token}"},
        )
        assert response.status == 201, body

        for socket in (socket_on_a, socket_on_b):
            pushed = json.loads(socket.recv(timeout=10))
            assert pushed["type"] == "notification"
            assert pushed["unread_count"] == 1
            assert pushed["notification"]["title"] == "Invitation: Co-organizer of Nginx Conf"

    # The call went to gunicorn, and only the sockets to daphne.
    read_access_log(stack, until=f"/api/v1/events/{event.pk}/invites/")
    access = read_access_log(stack, until="GET /ws/notifications/", count=2)
    [call] = [line for line in access.splitlines() if f"POST /api/v1/events/{event.pk}/invites/ " in line]
    assert 'HTTP/1.1" 201' in call
    assert f"up=127.0.0.1:{web.port}" in call
    daphne_ports = {daphne.port for daphne in stack["daphnes"].values()}
    upstreams = {int(port) for port in re.findall(r"up=127\.0\.0\.1:(\d+)", access)}
    socket_lines = [line for line in access.splitlines() if "GET /ws/notifications/" in line]
    assert len(socket_lines) == 2
    assert {int(re.search(r"up=127\.0\.0\.1:(\d+)", line).group(1)) for line in socket_lines} == daphne_ports
    assert upstreams - daphne_ports == {web.port}


def test_static_files_come_from_nginx(stack):
    response, body = Browser(stack["front"]["pool"]).request("GET", "/static/css/site.css")
    assert response.status == 200
    assert response.headers["X-Served-By"] == "nginx"
    assert response.headers.get_all("Cache-Control") == ["public, max-age=2592000, immutable"]
    assert body == (ROOT / "static" / "css" / "site.css").read_bytes()


def test_oversized_upload_gets_json_413(stack):
    event = EventFactory()
    response, body = Browser(stack["front"]["pool"]).request(
        "POST",
        f"/events/{event.pk}/background/",
        b"x" * (9 * 1024 * 1024),
        {"Content-Type": "application/octet-stream"},
    )
    assert response.status == 413
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"detail": "The upload is too large (nginx limit: 8 MiB)."}


def test_healthz_through_nginx_and_request_ids(stack):
    response, body = Browser(stack["front"]["pool"]).request("GET", "/healthz")
    assert response.status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok", "channel_layer": "ok"}
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert f"rid={request_id}" in read_access_log(stack, until=f"rid={request_id}")


def test_a_request_line_over_8_kib_gets_json_414_from_nginx_and_a_shorter_one_reaches_the_application(stack):
    browser = Browser(stack["front"]["pool"])
    response, body = browser.request("GET", "/events/?" + "q" * 9000)
    assert response.status == 414
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "detail": "The request line (path and query string) is longer than 8 KiB.",
        "code": "uri_too_long",
    }
    # Longer than gunicorn's default limit (4094), shorter than nginx's: gunicorn reads it (its HTML 414 never shows).
    response, body = browser.request("GET", "/no-such-page/" + "x" * 6000)
    assert response.status == 404
    assert "<title>Not found · Open Event</title>" in body.decode()


def test_nginx_names_no_version_and_passes_the_host_with_its_port(stack, settings):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    UserFactory(email="porter@example.com", password=PASSWORD)
    browser = Browser(stack["front"]["pool"])
    response, page = browser.request("GET", "/accounts/login/", headers={"Host": "localhost:8443"})
    assert response.headers["Server"] == "nginx"
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    # The browser's Origin names the port; Django's CSRF check compares it with the Host nginx passed on.
    response, _ = browser.request(
        "POST",
        "/accounts/login/",
        f"csrfmiddlewaretoken={token}&username=porter@example.com&password={PASSWORD}",
        {
            "Host": "localhost:8443",
            "Origin": "http://localhost:8443",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert response.status == 302
    assert response.headers["Location"] == "/"


def test_sockets_per_client_address_are_bounded_by_nginx_across_socket_servers(stack):
    event = EventFactory(state="published")
    front = stack["front"]["pool"]
    address = f"ws://127.0.0.1:{front}/ws/events/{event.pk}/"
    origin = {"Origin": f"http://127.0.0.1:{front}"}
    # 256 anonymous listeners from one address, spread over both socket servers (128 each, under each
    # process's own limit of 200 per address); nginx refuses the 257th with 429 before any socket server.
    with contextlib.ExitStack() as opened:
        for _ in range(256):
            opened.enter_context(connect(address, additional_headers=origin, open_timeout=10))
        with pytest.raises(InvalidStatus) as refused:
            opened.enter_context(connect(address, additional_headers=origin, open_timeout=10))
        assert refused.value.response.status_code == 429
    # Closed sockets are counted out: a new one is accepted.
    with connect(address, additional_headers=origin, open_timeout=10) as socket:
        assert json.loads(socket.recv(timeout=10))["type"]
