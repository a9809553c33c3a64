"""Queries of the request path that the ORM compiles once per process instead of once per request.

Turning a queryset into SQL costs a few hundred microseconds (the permission
engine's query cost more than the rest of a 304 together), yet on the hot
path the SQL never changes: only the values of the request do. A
``PrecompiledQuery`` builds its queryset once per database with stand-in
values, keeps the SQL, and on each call swaps the stand-ins in the
parameters for the request's values; the ORM then loads the rows as it
would (``raw()``: the model's converters, annotations as attributes).
"""

import functools

from django.db import router

# A stand-in marks where a value of the request goes: it is found among the compiled parameters by
# value, so it must differ from the constants the query itself carries (separators, flags, zeros),
# and the ORM must take it as a plain value: within 32 bits and positive (for an id or a positive
# column, the ORM drops or empties a condition it can prove always or never true), and for text,
# something no query spells (a NUL). A request's value that equals a stand-in is harmless: values
# are put in by position.
_INT_BASE = 1_987_654_321


def int_stand_in(number):
    return _INT_BASE - number


def str_stand_in(number):
    return f"\x00stand-in-{number}\x00"


class PrecompiledQuery:
    """``build(*stand_ins)`` returns the queryset; ``kinds`` says, per value, ``int`` or ``str``.

    ``first(*values)`` returns the first row as a model instance (or None);
    ``all(*values)`` returns the list of them. One query either way.
    """

    def __init__(self, build, *kinds):
        self._build = build
        self._stand_ins = [int_stand_in(n) if kind is int else str_stand_in(n) for n, kind in enumerate(kinds)]

    @functools.cached_property
    def model(self):
        return self._build(*self._stand_ins).model

    @functools.cache  # noqa: B019 (one per database alias for the life of the process: that is the point)
    def compiled(self, alias):
        """Return (sql, params with the stand-ins, {position in params: (index of the value, its type)}).

        The type is the parameter's own: a backend may wrap a value (psycopg's Int8 for a big integer
        column on PostgreSQL), and the request's value is wrapped the same way.
        """
        sql, params = self._build(*self._stand_ins).using(alias).query.sql_with_params()
        slots = {}
        for position, param in enumerate(params):
            for index, stand_in in enumerate(self._stand_ins):
                if isinstance(param, type(stand_in)) and not isinstance(param, bool) and param == stand_in:
                    slots[position] = (index, type(param))
        missing = set(range(len(self._stand_ins))) - {index for index, _kind in slots.values()}
        if missing:
            raise ValueError(f"stand-ins {sorted(missing)} do not reach the SQL: {sql}")
        return sql, tuple(params), slots

    def raw(self, *values, using=None):
        alias = using or router.db_for_read(self.model)
        sql, params, slots = self.compiled(alias)
        params = [
            slots[position][1](values[slots[position][0]]) if position in slots else param
            for position, param in enumerate(params)
        ]
        return self.model._default_manager.db_manager(alias).raw(sql, params)

    def first(self, *values, using=None):
        return next(iter(self.raw(*values, using=using)), None)

    def all(self, *values, using=None):
        return list(self.raw(*values, using=using))
