"""Django's PostgreSQL backend, with the health check of a kept connection made without a round trip.

With persistent connections (a gunicorn worker keeps one for ten minutes) and
CONN_HEALTH_CHECKS on, Django checks the connection before the first query
of every request by sending ``SELECT 1``: a whole round trip to PostgreSQL,
a third of what a 304 answer waited for. A connection that sits idle between
requests has nothing to read unless the server spoke: a backend that was
terminated (restart, ``pg_terminate_backend``, idle timeout) sends its error
and closes the socket, which makes the socket readable. So the check asks the
socket, not the server: idle and nothing to read is usable; anything else
(data waiting, a transaction left open, a connection psycopg saw break) falls
back to Django's ``SELECT 1``, which tells.

A peer that vanishes without closing (a cable pulled) is not seen by either
check before a query times out; the request then fails as it would have, and
Django drops the connection afterwards.

And a cursor for the request path's own queries (``core.precompiled``) that
PostgreSQL keeps prepared: Django's cursors bind values on the client and
send every query as new text, which the server parses, analyses and plans
each time (the permission engine's query: 0.15 ms of planning for 0.05 ms of
execution). ``prepared_cursor()`` binds on the server, so psycopg prepares a
statement after the connection ran it ``prepare_threshold`` times
(settings.py sets it; Django's client-side cursors never prepare, whatever
it says) and afterwards sends only its name and the values. Prepared
statements belong to the server session: behind a pooler in transaction
mode (PgBouncer before 1.21) set DATABASE_PREPARE_THRESHOLD=off.
"""

import select

import psycopg
from django.db.backends.postgresql import base
from django.utils.asyncio import async_unsafe
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    @async_unsafe
    def prepared_cursor(self):
        """A cursor as ``cursor()`` gives, binding its values on the server so that its queries are prepared."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = psycopg.Cursor(self.connection)
            # As Django's create_cursor(): the connection's time zone, when it is not the adapters' own.
            if self.timezone != self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, pq.Format.TEXT).timezone:
                base.register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)

    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status == pq.TransactionStatus.IDLE and not _has_input(connection.fileno()):
            return True
        return super().is_usable()


def _has_input(fd):
    """Whether the socket has something to read (or was closed by the peer), without waiting."""
    poller = select.poll()  # not select(): a socket server holds descriptors beyond select's 1,024
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))
