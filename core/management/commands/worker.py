"""``manage.py worker``: run the background tasks queued in the database, and the periodic housekeeping.

django-tasks-db's worker loop (claim the next ready task with SELECT ... FOR
UPDATE SKIP LOCKED, run it, record the result), plus the callables of
settings.TASKS_HOUSEKEEPING, each every so many seconds (or every time), between tasks. One
database connection per worker, kept open (health-checked) instead of one per
poll; on PostgreSQL an idle worker LISTENs on it, and a commit that queued a
task (core.tasks.wake_workers) wakes it at once. SIGTERM or Ctrl-C: the task running finishes, then the worker stops; a
second one stops it at once (a webhook attempt cut that way is taken again
once its lease ends). ``--housekeeping-only`` runs just the housekeeping, for
sites whose tasks run on another backend's workers (docs/tasks.md).
"""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections
from django.db.utils import OperationalError
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string

from core.tasks import WAKE_CHANNEL, stores_in_database

logger = logging.getLogger("core.worker")


class Housekeeping:
    """The periodic jobs, each run when its interval has passed (and once at start); one of 0 s runs every time.

    ``every`` (tests) replaces the intervals that are not 0.
    """

    def __init__(self, jobs, every=None):
        self.jobs = [
            (path, import_string(path), (every or seconds) if seconds else 0) for path, seconds in jobs.items()
        ]
        self.due = dict.fromkeys((path for path, _job, _seconds in self.jobs), 0.0)

    def run_due(self):
        for path, job, seconds in self.jobs:
            if time.monotonic() < self.due[path]:
                continue
            self.due[path] = time.monotonic() + seconds
            try:
                job()
            except Exception:  # one failing job must not stop the worker or the other jobs
                logger.exception("Housekeeping %s failed", path)


def make_worker(*, queue_names, interval, housekeeping, worker_id):
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

    class HousekeepingWorker(Worker):
        """django-tasks-db's worker with housekeeping between tasks."""

        def run(self):
            while self.running:
                close_old_connections()
                housekeeping.run_due()
                task_result = self.claim_next(DBTaskResult, exclusive_transaction, is_locked_database_exception)
                if task_result is not None:
                    self.run_task(task_result)
                elif self.running:
                    self.idle()

        def idle(self):
            """Wait for the next poll; on PostgreSQL a NOTIFY from a commit that queued a task ends the wait early."""
            connection = connections["default"]
            if connection.vendor != "postgresql":
                time.sleep(self.interval)
                return
            connection.ensure_connection()
            raw = connection.connection
            if getattr(self, "listening_on", None) is not raw:  # a new connection: listen again
                with connection.cursor() as cursor:
                    cursor.execute(f"LISTEN {WAKE_CHANNEL}")
                self.listening_on = raw
            for _notify in raw.notifies(timeout=self.interval, stop_after=1):
                pass

        def claim_next(self, model, exclusive_transaction, is_locked):
            tasks = model.objects.ready().filter(backend_name=self.backend_name)
            if not self.process_all_queues:
                tasks = tasks.filter(queue_name__in=self.queue_names)
            with exclusive_transaction(tasks.db):
                try:
                    task_result = tasks.get_locked()
                    if task_result is not None:
                        task_result.claim(self.worker_id)
                    return task_result
                except OperationalError as error:
                    if is_locked(error):
                        return None
                    raise

    return HousekeepingWorker(
        queue_names=queue_names,
        interval=interval,
        batch=False,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


class Command(BaseCommand):
    help = "Run background tasks (the database queue) and the periodic housekeeping."

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="*", help="comma-separated queues, or * for all (default)")
        parser.add_argument("--interval", type=float, default=None, help="seconds to wait when idle")
        parser.add_argument("--housekeeping-every", type=float, default=None, help="run every job this often (tests)")
        parser.add_argument("--housekeeping-only", action="store_true", help="run only the housekeeping")
        parser.add_argument("--worker-id", default=None)

    def handle(self, *args, queue_name, interval, housekeeping_every, housekeeping_only, worker_id, **options):
        # One connection for the worker's life (health-checked), not one per poll.
        connections["default"].settings_dict["CONN_MAX_AGE"] = None
        housekeeping = Housekeeping(settings.TASKS_HOUSEKEEPING, every=housekeeping_every)
        interval = settings.TASKS_POLL_SECONDS if interval is None else interval
        if housekeeping_only:
            self.ready("housekeeping only")
            while True:
                close_old_connections()
                housekeeping.run_due()
                time.sleep(min((seconds for _path, _job, seconds in housekeeping.jobs if seconds), default=interval))
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        if not stores_in_database(backend):
            raise CommandError(
                f"The task backend is {type(backend).__name__}: run its own workers "
                "(and `manage.py worker --housekeeping-only`), see docs/tasks.md."
            )
        worker = make_worker(
            queue_names=queue_name.split(","),
            interval=interval,
            housekeeping=housekeeping,
            worker_id=worker_id or get_random_string(32),
        )
        worker.configure_signals()
        self.ready(f"{worker.worker_id}, queues {queue_name}")
        worker.run()

    def ready(self, what):
        # On stdout whatever the log level: scripts and tests wait for this line.
        self.stdout.write(f"Worker ready: {what}")
        self.stdout.flush()
