"""The request path's reads, answered from this process's memory for as long as nothing was written.

A 304 of the API asks the database one statement (the token's owner, the
engine's grants, the counters), and that round trip to PostgreSQL is most of
what the 304 costs (benchmarks/README.md). The answer to that statement
changes only when something is written. So every process of a deployment on
one host shares a *write generation*: a number in a small memory-mapped file
(``READ_CACHE_FILE``), which each process moves on once a statement that may
write has committed: at once in autocommit, on commit inside a transaction.

``rows()`` keeps the rows of a precompiled query (core.precompiled) with the
generation read *before* the query ran, and answers the same query again from
memory while the generation is still that one, for at most
``READ_CACHE_SECONDS``. So a write committed through this stack (the web
workers, the socket servers, the task worker, ``manage.py``) is seen by every
read that starts after its commit, on this host, without a round trip: the
next conditional GET of what it changed gets its 200, a revoked token its
401, a role taken away its 403.

Not kept:

- inside a transaction (an atomic block sees its own writes and its snapshot);
- rows holding a mutable value, answers for a parameter longer than any of
  ours (``MAX_PARAMETER``), and beyond ``MAX_KEPT_BYTES`` in all (the cache
  is emptied when full).

What it cannot see: a write made around this stack (psql, a process whose
environment lacks ``READ_CACHE_FILE``, a web worker on another host, and
within a process: the raw driver connection, COPY, a SELECT of a function
that writes, a transaction managed by hand with ``set_autocommit(False)``,
whose commit Django does not announce). Such a write is read at the latest
``READ_CACHE_SECONDS`` after it, and so is an answer made of a kept read
(``request_deadline``). With web workers on
more than one host, leave ``READ_CACHE_FILE`` unset (docs/deploy.md).
Unset (the default, and ``make run``): every read goes to the database.
"""

import contextlib
import contextvars
import fcntl
import mmap
import os
import struct
import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connections
from django.db.backends.signals import connection_created

# Statements that write nothing: reads, and the transaction control around writes (whose commit
# is what counts, seen by on_commit). Anything else moves the generation on, unknown kinds included, and
# so does a statement with a ";" (several statements in one: "SELECT 1; UPDATE ...").
_READ_ONLY = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "SHOW", "SET ")
_IMMUTABLE = frozenset(
    {int, str, bool, float, type(None), Decimal, datetime, date, time_of_day, timedelta, UUID, bytes}
)
# The most kept at once, all answers together, in bytes (about: an answer's key, rows and values counted);
# beyond it the cache starts again. A parameter longer than MAX_PARAMETER (no token, id or key of ours is) is
# never kept: a stranger's made-up token of kilobytes would fill the cache with one answer each.
MAX_KEPT_BYTES = 8 * 1024 * 1024
MAX_PARAMETER = 256
_ENTRY_BYTES, _VALUE_BYTES = 200, 50
_GENERATION = struct.Struct("<Q")


class WriteGeneration:
    """The host's write generation: eight bytes in a file every process of the deployment maps."""

    def __init__(self, path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._file = open(path, "a+b")  # noqa: SIM115 (kept open for the process's life, with its map)
        with self._locked():
            if os.fstat(self._file.fileno()).st_size < _GENERATION.size:
                os.ftruncate(self._file.fileno(), _GENERATION.size)
        self._map = mmap.mmap(self._file.fileno(), _GENERATION.size)
        self._threads = threading.Lock()

    def value(self):
        """The current generation: an aligned 8-byte read of shared memory, no system call."""
        return _GENERATION.unpack_from(self._map)[0]

    def advance(self):
        """Move the generation on (other threads and processes wait for the lock, so none is lost)."""
        with self._threads, self._locked():
            _GENERATION.pack_into(self._map, 0, _GENERATION.unpack_from(self._map)[0] + 1)

    def _locked(self):
        return _FileLock(self._file.fileno())

    def close(self):
        self._map.close()
        self._file.close()


class _FileLock:
    """A POSIX record lock: held by a process, so it also keeps apart workers forked with the file open
    (an flock() belongs to the open file, which a fork shares)."""

    def __init__(self, fd):
        self.fd = fd

    def __enter__(self):
        fcntl.lockf(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc_info):
        fcntl.lockf(self.fd, fcntl.LOCK_UN)


class ReadCache:
    """Rows of queries by (database, SQL, parameters), each with the generation it was read at and its deadline."""

    def __init__(self, generation, seconds):
        self.generation, self.seconds = generation, seconds
        self._answers = {}
        self._kept_bytes = 0

    def rows(self, connection, sql, params, query):
        if connection.in_atomic_block or (connection.connection is not None and not connection.autocommit):
            return query()
        try:
            key = (connection.alias, sql, *params)
            kept = self._answers.get(key)
        except TypeError:  # a parameter that cannot be a key (a list)
            return query()
        now, generation = time.monotonic(), self.generation.value()
        if kept is not None and kept[0] == generation and kept[1] > now:
            _used(kept[1])
            return kept[2]
        found = tuple(query())
        size = _size(params, found)
        if size is not None and size <= MAX_KEPT_BYTES:
            if self._kept_bytes + size > MAX_KEPT_BYTES:
                self._answers.clear()
                self._kept_bytes = 0
            self._answers[key] = (generation, now + self.seconds, found)
            self._kept_bytes += size
        _used(now + self.seconds)
        return found

    def __len__(self):
        return len(self._answers)


def _size(params, rows):
    """About how many bytes an answer holds (None: not to be kept: a mutable value, or a parameter longer than any
    the request path sends, such as a made-up token of kilobytes)."""
    size = _ENTRY_BYTES
    for value in params:
        if isinstance(value, (str, bytes)):
            if len(value) > MAX_PARAMETER:
                return None
            size += len(value)
    for row in rows:
        for value in row:
            if type(value) not in _IMMUTABLE:
                return None
            size += _VALUE_BYTES + (len(value) if isinstance(value, (str, bytes)) else 0)
    return size


class _Deadline:
    """The deadline of the oldest kept answer a request was given (see ``request_deadline``)."""

    __slots__ = ("at",)

    def __init__(self, at):
        self.at = at


_request_deadline = contextvars.ContextVar("readcache_request_deadline", default=None)


@contextlib.contextmanager
def request_deadline():
    """Follow the answers a request is given: yields an object whose ``at`` is the earliest deadline among them.

    What the request makes of them (a kept 304) may be kept no longer than that: a write made around the
    stack must be seen READ_CACHE_SECONDS after the read it came too late for, not after the answer made of it.
    A holder object, not the variable's value: a view run in a thread (sync_to_async) sees a copy of the context.
    """
    deadline = _Deadline(float("inf"))
    token = _request_deadline.set(deadline)
    try:
        yield deadline
    finally:
        _request_deadline.reset(token)


def _used(deadline):
    followed = _request_deadline.get()
    if followed is not None and deadline < followed.at:
        followed.at = deadline


_cache = None


def generation():
    """The host's write generation now, or None when the cache is off."""
    return None if _cache is None else _cache.generation.value()


def seconds():
    """How long a kept answer may be given (READ_CACHE_SECONDS)."""
    return _cache.seconds


def rows(connection, sql, params, query):
    """Return ``query()`` (the rows of ``sql`` with ``params`` on ``connection``), from memory when still true."""
    return query() if _cache is None else _cache.rows(connection, sql, params, query)


def _watch_writes(execute, sql, params, many, context):
    """An execute wrapper: after a statement that may have written, move the generation on once it is committed."""
    result = execute(sql, params, many, context)
    if _cache is not None and (";" in sql or not sql.lstrip(" \n(")[:9].upper().startswith(_READ_ONLY)):
        _written(context["connection"])
    return result


def _written(connection):
    if not connection.in_atomic_block and not connection.get_autocommit():
        _advance()  # a transaction managed by hand (nothing here does): no commit to wait for
        return
    if connection.in_atomic_block:
        # Once per transaction: a callback already waiting at this level or an outer one commits with it.
        current = set(connection.savepoint_ids)
        if any(func is _advance and sids <= current for sids, func, _robust in connection.run_on_commit):
            return
    connection.on_commit(_advance)  # in autocommit, at once


def _advance():
    if _cache is not None:
        _cache.generation.advance()


def _watch(connection, **kwargs):
    if _cache is not None and _watch_writes not in connection.execute_wrappers:
        # First, so that it is not what connection.execute_wrapper()'s exit takes off the end.
        connection.execute_wrappers.insert(0, _watch_writes)


def configure():
    """Turn the cache on or off from the settings, for this process (at start, and when a test changes them)."""
    global _cache
    if _cache is not None:
        _cache.generation.close()
    path = getattr(settings, "READ_CACHE_FILE", "")
    _cache = ReadCache(WriteGeneration(path), settings.READ_CACHE_SECONDS) if path else None
    for connection in connections.all(initialized_only=True):
        if _cache is None:
            if _watch_writes in connection.execute_wrappers:
                connection.execute_wrappers.remove(_watch_writes)
        else:
            _watch(connection)


def _reconfigure(setting, **kwargs):
    if setting in ("READ_CACHE_FILE", "READ_CACHE_SECONDS"):
        configure()


def connect():
    connection_created.connect(_watch, dispatch_uid="readcache-watch-writes")
    setting_changed.connect(_reconfigure, dispatch_uid="readcache-settings")
    configure()
