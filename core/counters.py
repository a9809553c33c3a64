"""Named modification counters (``event.12.tracks``): bumped in the writer's transaction, read by ETags.

The low floor of core.versioning: keys, one statement to bump many
counters and learn their new values, one query to read them.
"""

import functools

from django.db import connections, transaction
from django.utils import timezone

from .models import VersionCounter
from .precompiled import PrecompiledQuery, prepared_cursor


def counter_key(scope, scope_id, resource):
    return f"{scope}.{scope_id}.{resource}"


def increment(keys, *, using="default"):
    """Add one to each counter (creating it at 1) in the caller's transaction; return {key: new value}.

    One statement whatever the number of keys: an upsert that returns the new
    values (PostgreSQL and SQLite both have INSERT ... ON CONFLICT ... RETURNING),
    kept prepared on PostgreSQL (every versioned write runs it). Keys are
    written in sorted order, so concurrent writers cannot deadlock.
    """
    keys = sorted(set(keys))
    if not keys:
        return {}
    connection = connections[using]
    table = connection.ops.quote_name(VersionCounter._meta.db_table)
    key, value, changed_at = (connection.ops.quote_name(name) for name in ("key", "value", "changed_at"))
    now = timezone.now()
    # The field converts the time as the backend stores it (aware on PostgreSQL, UTC text on SQLite).
    stamp = VersionCounter._meta.get_field("changed_at").get_db_prep_value(now, connection)
    rows = ", ".join(["(%s, 1, %s)"] * len(keys))
    sql = (
        f"INSERT INTO {table} ({key}, {value}, {changed_at}) VALUES {rows} "
        f"ON CONFLICT ({key}) DO UPDATE SET {value} = {table}.{value} + 1, {changed_at} = excluded.{changed_at} "
        f"RETURNING {key}, {value}"
    )
    params = [item for name in keys for item in (name, stamp)]
    with transaction.atomic(using=using, savepoint=False), prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


@functools.cache
def _counters_query(count):
    """The counters of ``count`` keys, compiled once per count (a conditional GET reads them every time)."""
    return PrecompiledQuery(lambda *keys: VersionCounter.objects.filter(key__in=keys), *[str] * count)


def _read(keys, using):
    keys = list(keys)
    return {counter.key: counter for counter in _counters_query(len(keys)).all(*keys, using=using)} if keys else {}


def read_counters(keys, *, using="default"):
    """Return {key: value} for the keys given (0 for a counter never bumped); one query."""
    found = _read(keys, using)
    return {key: found[key].value if key in found else 0 for key in keys}


def read_counters_with_times(keys, *, using="default"):
    """Return ({key: value}, the latest time any of them moved, None if none ever did); one query."""
    found = _read(keys, using)
    times = [counter.changed_at for counter in found.values()]
    return {key: found[key].value if key in found else 0 for key in keys}, max(times, default=None)
