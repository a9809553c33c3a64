"""How each entry point holds database connections, and the budget they add up to.

The settings are read in a fresh interpreter for each case, with only the
environment given, as a server process reads them.
"""

import json
import os
import subprocess
import sys

import pytest

from core.connections import ConnectionBudget, check_connection_budget, configured_budget
from core.tests.processes import ROOT, SECRET_KEY

POSTGRES = "postgres://app:secret@127.0.0.1:5432/app"
SCRIPT = """
import json, os, sys
entry = sys.argv[1]
if entry == "wsgi":
    import eventsite.wsgi
elif entry == "asgi":
    import eventsite.asgi
else:
    import django
    django.setup()
from django.conf import settings
database = settings.DATABASES["default"]
options = {k: v for k, v in database.get("OPTIONS", {}).items() if k in ("pool", "application_name")}
print(json.dumps({"max_age": database["CONN_MAX_AGE"], "health": database["CONN_HEALTH_CHECKS"], "options": options}))
"""


def database_settings(entry, **env):
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "eventsite.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_SITE_URL": "https://events.example.org",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, entry], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_wsgi_worker_keeps_one_connection_for_ten_minutes():
    assert database_settings("wsgi", DATABASE_URL=POSTGRES) == {
        "max_age": 600,
        "health": True,
        "options": {"application_name": "openevent-web"},
    }


def test_asgi_server_borrows_from_a_bounded_pool():
    found = database_settings(
        "asgi",
        DATABASE_URL=POSTGRES,
        DATABASE_CONN_MAX_AGE="600",  # the shared env file may carry the web server's value: the pool wins
        DATABASE_POOL_MIN_SIZE="2",
        DATABASE_POOL_MAX_SIZE="6",
        DATABASE_POOL_TIMEOUT="2.5",
    )
    assert found == {
        "max_age": 0,
        "health": True,
        "options": {"application_name": "openevent-sockets", "pool": {"min_size": 2, "max_size": 6, "timeout": 2.5}},
    }


def test_manage_py_opens_a_connection_per_request_without_a_pool():
    assert database_settings("manage", DATABASE_URL=POSTGRES) == {
        "max_age": 0,
        "health": True,
        "options": {"application_name": "openevent"},
    }


def test_sqlite_has_no_pool_under_daphne():
    found = database_settings("asgi", DATABASE_URL="sqlite:////tmp/openevent-settings-test.sqlite3")
    assert (found["max_age"], "pool" in found["options"]) == (0, False)


def test_budget_adds_workers_pools_task_worker_and_margin():
    budget = configured_budget({"WEB_CONCURRENCY": "4", "SOCKET_SERVERS": "2", "DATABASE_POOL_MAX_SIZE": "5"})
    assert budget == ConnectionBudget(web_workers=4, socket_servers=2, pool_max_size=5)
    assert budget.total == 4 + 2 * 5 + 2 + 3
    assert str(budget) == (
        "4 web workers x 1 + 2 socket servers x 5 + 2 (task worker) + 3 (manage.py, health probes) = 19"
    )
    assert configured_budget({}).total == 3 + 2 * 4 + 2 + 3  # deploy/env.example's numbers


def test_budget_check_runs_only_when_asked_for_the_database():
    assert check_connection_budget(databases=None) == []


@pytest.mark.django_db
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL")
def test_budget_check_warns_when_the_stack_could_exhaust_postgresql(monkeypatch):
    assert check_connection_budget(databases=["default"]) == []
    monkeypatch.setenv("WEB_CONCURRENCY", "1000")
    [warning] = check_connection_budget(databases=["default"])
    assert warning.id == "core.W001"
    assert warning.msg.startswith("The stack may open 1013 PostgreSQL connections (1000 web workers x 1 + ")
