"""Browser tests (marker ``browser``): Playwright on the system Chromium against live_server.

``playwright install`` cannot download browsers on these machines, so
Playwright is pointed at the distribution's ``chromium`` (apt-get install -y
chromium); without one the browser tests are skipped with that hint.
"""

import importlib
import shutil

import pytest
from django.apps import apps

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
def seeded_matrix(transactional_db):
    """Re-seed roles and the permission matrix (idempotent).

    A transactional test empties every table when it ends, the rows of data
    migrations included, and serialized_rollback trips over the content types
    that the flush re-creates; browser tests run last, after such tests.
    """
    importlib.import_module("permissions.migrations.0002_seed_matrix").seed(apps, None)


@pytest.fixture
def signed_in(page, live_server, client, seeded_matrix):
    """Return a function that gives the browser page a session of the user (no login form)."""
    from django.conf import settings

    def sign_in(user):
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        return page

    return sign_in
