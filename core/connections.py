"""The budget of PostgreSQL connections the whole stack may open, and the check that compares it with the server.

Every process holds a bounded number of connections (docs/deploy.md):

- the web server: one per gunicorn worker (WEB_CONCURRENCY), kept open;
- each socket server (SOCKET_SERVERS daphne processes): its pool, at most DATABASE_POOL_MAX_SIZE;
- the task worker: at most ``TASK_WORKER``;
- ``MARGIN`` for manage.py commands and health probes.

Their sum must stay below what PostgreSQL accepts (max_connections less the
connections it reserves for superusers), or a busy moment ends in "too many
clients" for everyone on that server. ``manage.py check --deploy --database
default`` warns when it does not.
"""

import os
from dataclasses import dataclass

from django.core.checks import Tags, Warning, register
from django.db import connections

TASK_WORKER = 2
MARGIN = 3
DEFAULTS = {"WEB_CONCURRENCY": 3, "SOCKET_SERVERS": 2, "DATABASE_POOL_MAX_SIZE": 4}


@dataclass(frozen=True)
class ConnectionBudget:
    web_workers: int
    socket_servers: int
    pool_max_size: int
    task_worker: int = TASK_WORKER
    margin: int = MARGIN

    @property
    def total(self):
        return self.web_workers + self.socket_servers * self.pool_max_size + self.task_worker + self.margin

    def __str__(self):
        return (
            f"{self.web_workers} web workers x 1 + {self.socket_servers} socket servers x {self.pool_max_size} "
            f"+ {self.task_worker} (task worker) + {self.margin} (manage.py, health probes) = {self.total}"
        )


def configured_budget(environ=None):
    """Return the budget of the configuration in the environment (defaults as in deploy/env.example)."""
    environ = os.environ if environ is None else environ
    values = {name: int(environ.get(name) or default) for name, default in DEFAULTS.items()}
    return ConnectionBudget(
        web_workers=values["WEB_CONCURRENCY"],
        socket_servers=values["SOCKET_SERVERS"],
        pool_max_size=values["DATABASE_POOL_MAX_SIZE"],
    )


def server_limit(connection):
    """Return how many connections PostgreSQL accepts from non-superusers (max_connections - reserved)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int"
        )
        return cursor.fetchone()[0]


@register(Tags.database, deploy=True)
def check_connection_budget(app_configs=None, databases=None, **kwargs):
    """Warn when the stack may open more connections than PostgreSQL accepts."""
    if not databases or "default" not in databases:
        return []
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return []
    budget, limit = configured_budget(), server_limit(connection)
    if budget.total <= limit:
        return []
    return [
        Warning(
            f"The stack may open {budget.total} PostgreSQL connections ({budget}); the server accepts {limit}.",
            hint="Lower WEB_CONCURRENCY, SOCKET_SERVERS or DATABASE_POOL_MAX_SIZE, or raise max_connections.",
            id="core.W001",
        )
    ]
