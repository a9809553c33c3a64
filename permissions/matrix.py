"""The matrix (role x service x operation) as the engine reads it: once per process, again when it changes.

Every request of an event needs the rows of the matrix for the user's
roles; joined into the engine's query they made it the most expensive query
of the request path (four more tables for PostgreSQL to plan and join, on
every request), yet they change only when the super admin edits the matrix.
So the engine's query reads the user's role ids and the matrix counter
(``site.all.matrix``, bumped in the same transaction by every write of a
role, service or row of the matrix: permissions.models.MatrixModel), and the
matrix itself is kept in this process, read again (one query) whenever the
counter it was read at is not the one the database holds. A change in the
admin therefore still takes effect on the next request. A write that
bypasses the ORM (raw SQL) is seen within ``MAX_AGE`` seconds.
"""

import threading
import time
from dataclasses import dataclass

from django.apps import apps
from django.db.models import CharField, Subquery, Value
from django.db.models.functions import Cast, Concat

from core.models import VersionCounter

from .names import OPERATION_WORDS, OPERATIONS, ROLE_LABELS, ROLES, SERVICE_WORDS, SERVICES

MATRIX_COUNTER = "site.all.matrix"
MAX_AGE = 60  # seconds; the safety net for writes that do not move the counter


@dataclass(frozen=True)
class Matrix:
    """What each role may do: ``roles`` maps a role id to (its name, the (service, operation) it grants)."""

    stamp: str | None  # the counter ("value|changed_at") it was read at; None if never bumped
    read_at: float
    roles: dict


_current = None
_lock = threading.Lock()


def _stamps():
    stamp = Concat(Cast("value", CharField()), Value("|"), Cast("changed_at", CharField()), output_field=CharField())
    return VersionCounter.objects.filter(key=MATRIX_COUNTER).annotate(stamp=stamp).values("stamp")[:1]


def stamp_subquery():
    """The counter as one text column of the engine's query (value and time: a rolled-back bump differs)."""
    return Subquery(_stamps(), output_field=CharField())


def refresh():
    """Read the counter and the matrix now, two queries (tests: before counting a request's queries)."""
    global _current
    stamp = next(iter(_stamps()), {"stamp": None})["stamp"]
    _current = read(stamp)


def current(stamp, role_ids=()):
    """Return the matrix as of ``stamp``, reading it again (one query) if ours is older or lacks a role."""
    global _current
    current = _current
    if (
        current is None
        or current.stamp != stamp
        or time.monotonic() - current.read_at > MAX_AGE
        or not set(role_ids) <= current.roles.keys()
    ):
        with _lock:
            current = _current = read(stamp)
    return current


def read(stamp):
    """Read every role with its rows of the matrix: one query."""
    role = apps.get_model("permissions", "Role")
    flags = [f"permissions__can_{op}" for op in OPERATIONS]
    rows = role.objects.values_list("id", "name", "permissions__service__name", *flags)
    roles = {}
    for role_id, name, service, *allowed in rows:
        _name, granted = roles.setdefault(role_id, (name, set()))
        if service in SERVICES:
            granted.update((service, op) for op, yes in zip(OPERATIONS, allowed, strict=True) if yes)
    return Matrix(
        stamp=stamp,
        read_at=time.monotonic(),
        roles={role_id: (name, frozenset(granted)) for role_id, (name, granted) in roles.items()},
    )


def in_words(matrix):
    """What each role may do, for people choosing one: [(role label, ["see, change: tracks, sessions", ...])].

    Services granted the same operations are named together, in the order of SERVICES.
    """
    granted_by_name = dict(matrix.roles.values())
    described = []
    for name in ROLES:
        granted = granted_by_name.get(name, frozenset())
        groups = {}  # the operations -> the services granted exactly them
        for service in SERVICES:
            operations = tuple(op for op in OPERATIONS if (service, op) in granted)
            if operations:
                groups.setdefault(operations, []).append(SERVICE_WORDS[service])
        phrases = [
            f"{', '.join(OPERATION_WORDS[op] for op in operations)}: {', '.join(services)}"
            for operations, services in groups.items()
        ]
        described.append((ROLE_LABELS[name], phrases or ["nothing"]))
    return described


def forget():
    """Drop the matrix of this process (tests: a database flushed and seeded again)."""
    global _current
    _current = None
