"""Background tasks (django.tasks): the one way to enqueue, and the queue's own housekeeping.

Work that leaves the process (emails, webhook deliveries) runs in a worker,
never in the request that caused it, and only once that request's
transaction has committed: ``enqueue_on_commit`` is how every app queues it.
"""

import logging
from datetime import timedelta
from functools import partial

from django.db import connections, transaction
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django.utils import timezone

logger = logging.getLogger(__name__)

# PostgreSQL channel idle workers listen on: a task queued wakes them at commit instead of at their next poll.
WAKE_CHANNEL = "openevent_tasks"
# Finished tasks kept for a look in the admin; one still "running" after this long lost its worker.
KEEP_FINISHED = timedelta(days=2)
ABANDONED = timedelta(days=1)


def stores_in_database(backend):
    """Whether the backend keeps its queue in our database, so that a task enqueued commits or rolls back with it."""
    from django_tasks_db import DatabaseBackend

    return isinstance(backend, DatabaseBackend)


def enqueue_on_commit(task, *args, run_after=None, priority=None, using=None, **kwargs):
    """Queue the task so that it runs once the current transaction commits, and never if it rolls back.

    A queue in the database gets its row in the same transaction (a
    transactional outbox: no window where the write is committed and the
    task lost); any other backend is handed the task after commit (at once
    outside a transaction). A ``run_after`` the backend cannot honour (the
    immediate backend has no later) is dropped and logged: whoever keeps the
    work's state (e.g. a delivery's schedule) must find it again (the sweep).
    A ``priority`` (higher runs first) is given where the backend orders by it.
    """
    backend = task.get_backend()
    if priority is not None and backend.supports_priority:
        task = task.using(priority=priority)
    if run_after is not None:
        if not backend.supports_defer:
            logger.info("%s cannot defer %s to %s; left for a sweep", type(backend).__name__, task.name, run_after)
            return
        task = task.using(run_after=run_after)
    if stores_in_database(backend):
        task.enqueue(*args, **kwargs)
        wake_workers(using=using)
        return
    transaction.on_commit(partial(task.enqueue, *args, **kwargs), using=using, robust=True)


def wake_workers(*, using=None):
    """On PostgreSQL, NOTIFY the idle workers; delivered when (and only if) the transaction commits."""
    connection = connections[using or "default"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {WAKE_CHANNEL}")


def prune_task_results():
    """Delete finished task rows older than two days, and rows a killed worker left "running" for a day."""
    if not stores_in_database(task_backends[DEFAULT_TASK_BACKEND_ALIAS]):
        return 0
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    finished = DBTaskResult.objects.finished().filter(finished_at__lt=now - KEEP_FINISHED)
    abandoned = DBTaskResult.objects.running().filter(started_at__lt=now - ABANDONED)
    count = finished.delete()[0] + abandoned.delete()[0]
    if count:
        logger.info("Pruned %d task results", count)
    return count


__all__ = ["enqueue_on_commit", "prune_task_results", "stores_in_database", "task_backends"]
