"""Fixtures shared by every app's tests, and the browser test set-up.

Browser tests (marker ``browser``) drive the distribution's Chromium with
Playwright against live_server: ``playwright install`` cannot download
browsers on these machines (``apt-get install -y chromium``, which .ci/run
does); without one they are skipped with that hint.
"""

import importlib
import inspect
import os
import shutil
import uuid

import pytest
from rest_framework.test import APIClient

from core.tests.factories import UserFactory


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Name SQLite's test database file after the process that runs the tests.

    settings.py names it after the process that read the settings. A process
    forked after that (mutmut's workers, two at a time, each running the tests
    of one mutant) would create, use and delete its parent's file while its
    sibling uses it too: tests then fail or wait on a lock the mutant did not cause.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and not os.environ.get("DJANGO_TEST_DATABASE_NAME"):
        database["TEST"]["NAME"] = str(settings.BASE_DIR / f"test_db_{os.getpid()}.sqlite3")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def client_for(client):
    """Return a function that logs the test client in as a user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api_for():
    """Return a function that gives an APIClient authenticated as a user (or anonymous for None)."""

    def make(user):
        api = APIClient()
        if user is not None:
            api.force_authenticate(user)
        return api

    return make


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Keep uploaded files of a test in its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def empty_cache():
    """Start every test with an empty cache: throttle counts (and cached sessions) must not leak between tests."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Hash test passwords cheaply; the real hasher is Django's, tested upstream."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def seeded_matrix_present(request):
    """Make sure the roles, services and matrix seeded by a data migration are there, and the engine's copy.

    Transactional tests (live server, real sockets, daphne subprocesses) end
    with a flush that also removes rows written by data migrations; the tests
    after them need the matrix back. Three cheap queries when it is present.
    """
    if "_django_db_helper" not in request.fixturenames:
        return
    request.getfixturevalue("_django_db_helper")
    from django.apps import apps

    from permissions import matrix
    from permissions.models import RolePermission

    if not RolePermission.objects.exists():
        for migration in (
            "0002_seed_matrix",
            "0004_seed_team_service",
            "0005_seed_order_service",
            "0006_seed_webhook_service",
        ):
            importlib.import_module(f"permissions.migrations.{migration}").seed(apps, None)
    # The engine keeps the matrix per process and reads it again when its counter moved: read it now,
    # so a test counts the queries of its requests, not a reload a previous test's writes caused.
    matrix.refresh()


@pytest.fixture(autouse=True)
def fresh_channel_layer(settings):
    """Give every test a new channel layer; on Redis, with a prefix of its own.

    The prefix keeps concurrent runs on one Redis (CI, a colleague's run)
    from delivering to each other's ``user.<id>`` groups, whose ids repeat.
    """
    layer = dict(settings.CHANNEL_LAYERS["default"])
    if "hosts" in layer.get("CONFIG", {}):
        layer["CONFIG"] = {**layer.get("CONFIG", {}), "prefix": f"test-{uuid.uuid4().hex[:12]}"}
    # Assigning the setting resets channels' layer cache (setting_changed).
    settings.CHANNEL_LAYERS = {"default": layer}
    return layer


@pytest.fixture(autouse=True)
def fresh_broadcaster(monkeypatch):
    """Give every test its own sending loop (pushes of sync code), so no outage state leaks between tests."""
    from core import broadcast

    broadcaster = broadcast.Broadcaster()
    monkeypatch.setattr(broadcast, "broadcaster", broadcaster)
    yield broadcaster
    broadcaster.close()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Run browser tests last: once Playwright's sync API has run, later pytest-asyncio tests
    fail with "Runner.run() cannot be called from a running event loop" (see STACK.md)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch the system Chromium instead of a Playwright download."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("No chromium on PATH: run `apt-get install -y chromium` to run the browser tests.")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def playwright(django_db_setup, playwright):
    """Playwright (browser tests only), started after the test database exists.

    Playwright's sync API keeps an event loop running in this thread for as
    long as it lives, and Django refuses database calls made under a running
    loop. So, exactly for that lifetime, DJANGO_ALLOW_ASYNC_UNSAFE is set:
    the test's own queries and pytest-django's flush after a transactional
    test need it, and browser tests run last (see the hook above), so no
    other test runs under it. The database is created before the loop
    starts and destroyed after it stops.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield playwright


@pytest.fixture
def signed_in(page, live_server, client):
    """Return a function that gives the browser page a session of the user (no login form)."""
    from django.conf import settings

    def sign_in(user):
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        return page

    return sign_in


@pytest.fixture(autouse=True)
def close_connections_of_async_tests(request):
    """After an async test, close the database connection left open in asgiref's thread.

    An async test's database_sync_to_async calls (its own, and its consumers') run in
    asgiref's one thread for thread-sensitive code, whose connection outlived the test: on
    PostgreSQL, a run that ended after such a test could not drop its test database
    ("being accessed by other users"; e.g. events/tests/test_publish.py then
    test_session_state.py). The executor is asgiref's own attribute: the one thread there is.
    """
    yield
    if inspect.iscoroutinefunction(request.function):
        from asgiref.sync import SyncToAsync
        from django.db import connections

        SyncToAsync.single_thread_executor.submit(connections.close_all).result()
