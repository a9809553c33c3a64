"""The webhooks' tasks (queue "webhooks"): the relay of recorded changes and one delivery attempt each.

Both are safe to run twice or concurrently: the relay locks the changes it
takes, an attempt leases its delivery. The worker also runs ``relay_waiting``
between tasks (the database queue's relay: writes queue no task for it) and
``sweep`` (settings.TASKS_HOUSEKEEPING) for work whose task was lost.
"""

from django.tasks import task

from . import delivery


@task(queue_name="webhooks")
def relay():
    """Turn the changes recorded by writes into deliveries."""
    return delivery.relay_changes()


@task(queue_name="webhooks")
def deliver(delivery_id):
    """Attempt one delivery."""
    return delivery.attempt(delivery_id)


def relay_waiting():
    """Relay the changes waiting (a worker does it between tasks: writes on the database queue queue no relay)."""
    return delivery.relay_changes()


def sweep():
    """Housekeeping (the worker calls it every 30 s): lost work found again, the log pruned."""
    return delivery.sweep()
