"""Queries of the request path that the ORM compiles once per process instead of once per request.

Turning a queryset into SQL costs a few hundred microseconds (the permission
engine's query cost more than the rest of a 304 together), yet on the hot
path the SQL never changes: only the values of the request do. A
``PrecompiledQuery`` builds its queryset once per database with stand-in
values, keeps the SQL and what the ORM's compiler knew about its columns,
and on each call swaps the stand-ins in the parameters for the request's
values and loads the rows as the ORM's model iterable does (the database's
converters, ``Model.from_db``, annotations as attributes). Not through
``raw()``: that works out the columns again from the cursor on every call,
which cost half of what it saved. On PostgreSQL the query goes through the
backend's prepared cursor, so the server also parses and plans it once per
connection rather than once per request.
"""

import functools
from dataclasses import dataclass

from django.db import connections, router

from . import readcache

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


@dataclass(frozen=True)
class Compiled:
    """A query compiled for one database: the SQL, its parameters, and how to load a row."""

    sql: str
    params: tuple
    slots: dict  # position in params -> (index of the call's value, the type the parameter had)
    fields: list  # attnames of the model's columns, in the order of the select
    model_columns: slice
    width: int  # columns in a row
    annotations: dict  # annotation name -> position in the row
    converters: list  # (position, converters, expression), as the compiler gives them


def per_database(method):
    """Keep a method's answer per database alias on the instance, for as long as the instance lives.

    Not ``functools.cache``: its cache belongs to the class and would keep every instance alive,
    including those a bounded cache of queries (one per number of values) has let go.
    """
    name = f"_{method.__name__}_per_database"

    @functools.wraps(method)
    def cached(self, alias):
        try:
            return self.__dict__[name][alias]
        except KeyError:
            answer = self.__dict__.setdefault(name, {})[alias] = method(self, alias)
            return answer

    return cached


class PrecompiledQuery:
    """``build(*stand_ins)`` returns the queryset; ``kinds`` says, per value, ``int`` or ``str``.

    ``first(*values)`` returns the first row as a model instance (or None);
    ``all(*values)`` returns the list of them; for a ``values_list()``
    queryset, ``rows(*values)`` returns its tuples. One query each. The
    queryset may filter, annotate, aggregate, order and slice; it may not
    select_related (the rows are one model's).
    """

    def __init__(self, build, *kinds):
        self._build = build
        self._stand_ins = [int_stand_in(n) if kind is int else str_stand_in(n) for n, kind in enumerate(kinds)]

    @functools.cached_property
    def model(self):
        return self._build(*self._stand_ins).model

    @per_database
    def compiled(self, alias):
        """Compile the query for the database ``alias`` once; return a Compiled.

        A slot keeps the parameter's own type: a backend may wrap a value (psycopg's Int8 for a
        big integer column on PostgreSQL), and the request's value is wrapped the same way.
        """
        compiler = self._build(*self._stand_ins).query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        indexes = {(type(stand_in), stand_in): index for index, stand_in in enumerate(self._stand_ins)}
        slots = {}
        for position, param in enumerate(params):
            kind = _kind(param)  # None for what no stand-in can be, a list among them (which cannot be hashed)
            if kind is not None and (kind, param) in indexes:
                slots[position] = (indexes[kind, param], type(param))
        missing = set(range(len(self._stand_ins))) - {index for index, _type in slots.values()}
        if missing:
            raise ValueError(f"stand-ins {sorted(missing)} do not reach the SQL: {sql}")
        klass_info, select = compiler.klass_info or {}, compiler.select
        if klass_info.get("related_klass_infos"):
            raise ValueError("a precompiled query loads one model: no select_related")
        # A values_list() queryset loads no model: its rows are read by rows() as tuples.
        positions = klass_info.get("select_fields")
        columns = slice(positions[0], positions[-1] + 1) if positions else slice(0, 0)
        converters = compiler.get_converters([expression for expression, _sql, _alias in select])
        return Compiled(
            sql=sql,
            params=tuple(params),
            slots=slots,
            fields=[expression.target.attname for expression, _sql, _alias in select[columns]],
            model_columns=columns,
            width=len(select),
            annotations=dict(compiler.annotation_col_map),
            converters=[(position, convs, expression) for position, (convs, expression) in converters.items()],
        )

    def all(self, *values, using=None):
        alias = using or router.db_for_read(self.model)
        compiled = self.compiled(alias)
        rows = _fetch(alias, compiled.sql, self._params(compiled, values))
        return [self._load(alias, connections[alias], compiled, row) for row in rows]

    def rows(self, *values, using=None):
        """Return the rows of a ``values_list()`` queryset as tuples, converted as the ORM converts them."""
        alias = using or router.db_for_read(self.model)
        compiled, connection = self.compiled(alias), connections[alias]
        rows = _fetch(alias, compiled.sql, self._params(compiled, values))
        return [tuple(_convert(connection, compiled, row)) for row in rows]

    def _params(self, compiled, values):
        return [
            compiled.slots[position][1](values[compiled.slots[position][0]]) if position in compiled.slots else param
            for position, param in enumerate(compiled.params)
        ]

    def first(self, *values, using=None):
        found = self.all(*values, using=using)
        return found[0] if found else None

    def _load(self, alias, connection, compiled, row):
        row = _convert(connection, compiled, row)
        instance = self.model.from_db(alias, compiled.fields, row[compiled.model_columns])
        for name, position in compiled.annotations.items():
            setattr(instance, name, row[position])
        return instance


class PrecompiledPair:
    """Two precompiled queries of one row each, sent as one statement (one round trip, not two).

    ``first(left_values, right_values)`` returns ``(left, right)``: the first row of
    each query as a model instance, or None for a query that found nothing. The
    right query is only worth its answer when the left found a row: with none,
    both are None. Both queries must be sliced to one row.
    """

    def __init__(self, left, right):
        self.left, self.right = left, right

    @per_database
    def sql(self, alias):
        left, right = self.left.compiled(alias), self.right.compiled(alias)
        return f"SELECT * FROM ({left.sql}) AS pair_left LEFT JOIN ({right.sql}) AS pair_right ON TRUE"

    @per_database
    def _right_pk_at(self, alias):
        """Where the right query's primary key sits in its part of the row: NULL there means it found nothing."""
        right = self.right.compiled(alias)
        return right.fields.index(self.right.model._meta.pk.attname) + right.model_columns.start

    def first(self, left_values, right_values, using=None):
        alias = using or router.db_for_read(self.left.model)
        left, right = self.left.compiled(alias), self.right.compiled(alias)
        params = [*self.left._params(left, left_values), *self.right._params(right, right_values)]
        rows = _fetch(alias, self.sql(alias), params)
        if not rows:
            return None, None
        connection, row = connections[alias], rows[0]
        found = self.left._load(alias, connection, left, row[: left.width])
        rest = row[left.width :]
        # A right query that found nothing leaves NULL in every column, its primary key's among them.
        return found, (
            None if rest[self._right_pk_at(alias)] is None else self.right._load(alias, connection, right, rest)
        )


def _kind(param):
    """The kind of stand-in a parameter could be: a wrapped int (psycopg's Int8) is an int, a bool is not."""
    if isinstance(param, str):
        return str
    return int if isinstance(param, int) and not isinstance(param, bool) else None


def _convert(connection, compiled, row):
    """Return the row with the database's converters applied, as the ORM's compiler applies them."""
    if not compiled.converters:
        return row
    row = list(row)
    for position, converters, expression in compiled.converters:
        value = row[position]
        for converter in converters:
            value = converter(value, expression, connection)
        row[position] = value
    return row


def prepared_cursor(connection):
    """A cursor whose statements the server keeps prepared (PostgreSQL: core.postgresql); Django's elsewhere.

    For SQL whose text repeats with other values: the request path's queries, the counters' upsert.
    """
    return getattr(connection, "prepared_cursor", connection.cursor)()


def _fetch(alias, sql, params):
    """The rows of the query: from this process's memory while no write happened since (core.readcache)."""
    connection = connections[alias]

    def query():
        with prepared_cursor(connection) as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return readcache.rows(connection, sql, params, query)
