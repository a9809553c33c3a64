"""Version counters: the one mechanism behind ETags, 304 and 412.

Every write path bumps, in the same transaction, the ``version`` column of
the rows it changes and the named counters of the lists they belong to (for
instance ``event.12.tracks``). Reading a list's counter costs one indexed
query, so a conditional GET can answer 304 without loading the list.

A model declares its counters once, on the class (``version_list`` and the
scope it lives in); the registry of an event's resource lists
(``event_resources()``) is read from those declarations, and the versions
endpoint, the event socket and new events' counters are derived from it.
"""

import contextlib
import contextvars
import functools
import re
from contextvars import ContextVar
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction
from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.aggregates import StringAgg
from django.db.models.expressions import BaseExpression
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from . import changes
from .broadcast import VERSIONS_CHANGED, push_after_commit
from .counters import counter_key, increment, read_counters, read_counters_with_times
from .models import VersionCounter

# Set while bulk_update runs: its internal update() calls must not bump again.
_inside_bulk_update = ContextVar("inside_bulk_update", default=False)

EVENT_SCOPE = "event"
# The counter of what the public sees of a list whose rows are partly private: event.<id>.public.<list>.
PUBLIC = "public."
MEMBERS, EVERYONE = "members", "public"
STALE_MESSAGE = "Someone else changed this meanwhile; nothing was saved. Reload the page and try again."
# The writes below join the caller's transaction without a savepoint of their own (one round trip
# less each): a failure inside rolls back the whole transaction, which is what every caller wants.

__all__ = ["counter_key", "read_counters", "read_counters_with_times"]


class StaleObjectError(Exception):
    """The row changed between reading and writing it (optimistic locking).

    ``user_message`` is what every door shows for it (a form error, a 412's detail).
    """

    user_message = STALE_MESSAGE


@dataclass(frozen=True)
class Counter:
    """A list counter rows belong to: ``<scope>.<id>.<name>``, the id read from the row's ``field``."""

    scope: str
    field: str
    name: str


@dataclass(frozen=True)
class Resource:
    """One resource list of an event: its counter and URL name, the matrix service guarding it, its model."""

    name: str
    service: str
    model: type

    @property
    def public(self):
        """Whether the public sees (some of) the list when the event is published."""
        return self.model.public_rows is not None

    def key(self, event_id, *, public=False):
        """Return the counter the list's ETags read: the public one for public readers where rows are private."""
        partly_private = isinstance(self.model.public_rows, dict)
        return counter_key(EVENT_SCOPE, event_id, (PUBLIC if public and partly_private else "") + self.name)


def bump(keys, *, using="default"):
    """Increment the named counters by one, creating missing ones; joins the caller's transaction.

    After commit, the sockets watching each event whose counters moved get the
    new values: its members all of them, its public listeners those of what
    the public sees (groups ``event.<id>.members`` and ``event.<id>.public``).
    """
    values = increment(keys, using=using)
    messages = announcements(values)
    if messages:
        push_after_commit(messages, using=using)


def event_group(event_id, audience):
    """Return the channel-layer group of one event's sockets of one audience (MEMBERS or EVERYONE)."""
    return f"event.{event_id}.{audience}"


def announcements(values):
    """Return the (group, message) pairs telling each event's sockets the counters that moved."""
    resources = event_resources()
    heard = {}  # (event id, audience) -> {list name: value}
    for key, value in values.items():
        scope, event_id, name = key.split(".", 2)
        if scope != EVENT_SCOPE:
            continue
        if name.startswith(PUBLIC):
            heard.setdefault((event_id, EVERYONE), {})[name.removeprefix(PUBLIC)] = value
            continue
        heard.setdefault((event_id, MEMBERS), {})[name] = value
        resource = resources.get(name)
        if resource is not None and resource.model.public_rows == "all":
            heard.setdefault((event_id, EVERYONE), {})[name] = value
    return [
        (event_group(event_id, audience), {"type": VERSIONS_CHANGED, "versions": found, "changed": sorted(found)})
        for (event_id, audience), found in heard.items()
    ]


@functools.cache
def event_resources():
    """Return {list name: Resource} for every resource list of an event, "event" first, then by name.

    Read from the models' own declarations once the apps are loaded.
    """
    found = [
        Resource(name=model.version_list, service=model.service, model=model)
        for model in apps.get_models()
        if issubclass(model, VersionedModel) and model.version_scope == EVENT_SCOPE and model.version_list
    ]
    found.sort(key=lambda resource: (resource.name != EVENT_SCOPE, resource.name))
    return {resource.name: resource for resource in found}


# The annotation that carries an event's list counters with the event row (``with_event_counters``).
_EVENT_COUNTERS = "_event_counters"


def with_event_counters(queryset):
    """Annotate each event of the queryset with the counters of its lists (member and public), in the same query.

    The permission engine loads the event of every request this way, so a list's
    ETag (``loaded_counter``) needs no query of its own. One text per event,
    ``key=value`` pieces joined by ";", read by primary key.
    """
    names = sorted(
        {
            resource.key(0, public=public).split(".", 2)[2]
            for resource in event_resources().values()
            for public in (False, True)
        }
    )
    # One IN list: PostgreSQL reads it as key = ANY(ARRAY[...]), one probe of the primary key per name.
    # As an OR of 13 equalities it was planned as a scan of every counter computing the 13 keys per row
    # (0.22 ms of a 304's 0.44 ms statement with one event's counters; benchmarks/README.md).
    pieces = (
        VersionCounter.objects.filter(key__in=[_EventCounterKey(OuterRef("pk"), name) for name in names])
        .order_by()
        .annotate(group=Value(1))
        .values("group")
        .annotate(all=StringAgg(Concat("key", Value("="), Cast("value", CharField())), Value(";")))
        .values("all")
    )
    return queryset.annotate(**{_EVENT_COUNTERS: Subquery(pieces, output_field=CharField())})


class _EventCounterKey(models.Func):
    """``'event.' || <the event's id> || '.<list>'``, the constant parts written into the SQL.

    As parameters they were four per key (Concat adds COALESCE(..., '') around each part): the
    engine's query then had 99 and psycopg, which caches the parsing of a query with at most 50,
    parsed it on every request (2 ms). The list names come from the models' declarations.
    """

    output_field = CharField()

    def __init__(self, event_id, name):
        if not re.fullmatch(r"[a-z_.]+", name):
            raise ValueError(f"not a list name: {name!r}")
        super().__init__(Cast(event_id, CharField()))
        self.name = name

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"('{EVENT_SCOPE}.' || {sql} || '.{self.name}')", params


def loaded_counter(event, key):
    """Return the counter ``key`` as read with the event (0 if never bumped), or None if it was not read with it."""
    text = getattr(event, _EVENT_COUNTERS, UNKNOWN)
    if text is UNKNOWN or event.pk is None or not key.startswith(f"{EVENT_SCOPE}.{event.pk}."):
        return None
    values = dict(piece.split("=") for piece in filter(None, (text or "").split(";")))
    return int(values.get(key, 0))


def forget_loaded_counters(event):
    """Drop the counters read with the event (a write of this request moved them): the next ETag reads them."""
    if hasattr(event, _EVENT_COUNTERS):
        delattr(event, _EVENT_COUNTERS)


def event_versions(event_id, *, audience=MEMBERS):
    """Return {list name: counter} of the event's lists an audience may see (MEMBERS: all); one query."""
    public = audience == EVERYONE
    resources = [resource for resource in event_resources().values() if resource.public or not public]
    keys = [resource.key(event_id, public=public) for resource in resources]
    values = read_counters(keys)
    return {resource.name: values[key] for resource, key in zip(resources, keys, strict=True)}


# A value a write is about to give a field that cannot be known before it runs (an F() expression).
UNKNOWN = object()


class VersionedQuerySet(models.QuerySet):
    """Queryset whose bulk writes bump versions and list counters like single saves do."""

    def _rows(self):
        return set(self.order_by().values_list(*self.model.counter_fields()).distinct())

    def _changed_rows(self, verb, counter_rows):
        """Return the (pk, event id, track id) rows to record as ``verb`` changes: none unless an event wants them."""
        model = self.model
        kind = model.change_kind(verb)
        if kind is None:
            return []
        events = changes.wanted_by_anyone(kind, {row[0] for row in counter_rows}, using=self.db)
        if not events:
            return []
        track = getattr(model, "track_attname", None)
        fields = ["pk", model.version_scope_field, track] if track else ["pk", model.version_scope_field]
        found = self.order_by().filter(**{f"{model.version_scope_field}__in": events}).values_list(*fields)
        # Every event of these rows wants the kind (just asked): recording them asks nothing more.
        return [(row[0], row[1], row[2] if track else None, True) for row in found]

    def _auto_now_fields(self):
        """The fields a save() stamps with the time (auto_now); bulk writes stamp them too (?modified_since=)."""
        return [field.name for field in self.model._meta.concrete_fields if getattr(field, "auto_now", False)]

    def update(self, **kwargs):
        if _inside_bulk_update.get():
            return super().update(**kwargs)
        kwargs.setdefault("version", F("version") + 1)
        now = timezone.now()
        for name in self._auto_now_fields():
            kwargs.setdefault(name, now)
        model = self.model
        with transaction.atomic(using=self.db, savepoint=False):
            before = self._rows()
            changed = self._changed_rows("changed", before)
            # A row that becomes public moves the public counter as one that stops being public does.
            after = {model.row_with(row, kwargs) for row in before}
            rows = super().update(**kwargs)
            if rows:
                bump(model.counter_keys_for(before | after), using=self.db)
                model.record(changed, "changed", using=self.db)
            return rows

    update.alters_data = True

    def delete(self):
        with transaction.atomic(using=self.db, savepoint=False):
            counter_rows = self._rows()
            keys = self.model.counter_keys_for(counter_rows)
            changed = self._changed_rows("deleted", counter_rows)
            pks = list(self.order_by().values_list("pk", flat=True))
            self.model._touch_dependents(pks, using=self.db)
            result = super().delete()
            bump(keys, using=self.db)
            self.model.record(changed, "deleted", using=self.db)
            return result

    delete.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            bump(self.model.counter_keys_for({obj.counter_row() for obj in objs}), using=self.db)
            self.model.record([obj.change_row() for obj in objs], "created", using=self.db)
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        rows = {row for obj in objs for row in (obj.loaded_counter_row(), obj.counter_row())}
        stamped = [name for name in self._auto_now_fields() if name not in fields]
        now = timezone.now()
        for obj in objs:
            obj.version += 1
            for name in stamped:
                setattr(obj, name, now)
        token = _inside_bulk_update.set(True)
        try:
            with transaction.atomic(using=self.db, savepoint=False):
                updated = super().bulk_update(objs, [*fields, "version", *stamped], *args, **kwargs)
                bump(self.model.counter_keys_for(rows), using=self.db)
                self.model.record([obj.change_row() for obj in objs], "changed", using=self.db)
        finally:
            _inside_bulk_update.reset(token)
        for obj in objs:
            obj.remember_loaded_row()
        return updated


# How a row pointing at a deleted row fares, where its representation stays as it was: it goes too, or the
# deletion is refused.
UNCHANGED_BY_DELETE = (models.CASCADE, models.PROTECT, models.RESTRICT)


class VersionedModel(models.Model):
    """A row with a version that moves on every write, inside one or more list counters.

    Subclasses declare, once:

    - ``version_list``: the list they belong to in their scope (e.g. "tracks");
    - ``version_scope`` and ``version_scope_field``: the scope ("event") and the
      attribute holding its id ("event_id");
    - ``service``: the matrix service that guards the list (e.g. "track");
    - ``public_rows``: which rows the public sees when the event is published:
      "all" (the default), None (none: roles, invites) or ``{attname: values}``
      (tickets: ``{"hidden": (False,)}``); for the last, writes that touch a
      public row (before or after the change) also move the list's public
      counter, so what the public observes ignores private edits;
    - ``also_counted_in``: further ``Counter`` lists a row belongs to (e.g. the
      roles of its user), and ``version_global_keys`` for site-wide counters;
    - ``change_name``: the name its writes are recorded under as changes of
      the event (core/changes.py: "track" gives "track.created", "track.changed",
      "track.deleted"), for the event's webhooks; None records nothing (rows
      whose changes their services name, like orders and roles).
    """

    version = models.PositiveBigIntegerField(default=1, editable=False)

    objects = VersionedQuerySet.as_manager()

    version_scope = EVENT_SCOPE
    version_scope_field = "event_id"
    version_list = None
    service = None
    public_rows = "all"
    also_counted_in = ()
    # Counters bumped on every write of any row, e.g. "site.all.events".
    version_global_keys = ()
    change_name = None

    class Meta:
        abstract = True

    def save(self, **kwargs):  # Django's save() takes keywords only
        """Save, bump the list counters and, for an existing row, check nobody wrote it meanwhile.

        Raises StaleObjectError when the stored version differs from the one
        this instance was read with (a concurrent write won).
        """
        using = kwargs.get("using") or "default"
        rows = set()
        with transaction.atomic(using=using, savepoint=False):
            if not self._state.adding and self.pk is not None:
                rows.add(self.loaded_counter_row())
                claimed = (
                    type(self)
                    ._base_manager.using(using)
                    .filter(pk=self.pk, version=self.version)
                    .update(version=F("version") + 1)
                )
                if claimed:
                    self.version += 1
            else:
                claimed = True
            if claimed:
                adding = self._state.adding
                super().save(**kwargs)
                # Read after the insert: a new event's own id is its scope.
                rows.add(self.counter_row())
                bump(self.counter_keys_for(rows), using=using)
                self.record([self.change_row()], "created" if adding else "changed", using=using)
        # Raised outside the block: nothing was written, so the caller's transaction stays usable.
        if not claimed:
            raise StaleObjectError(f"{type(self).__name__} {self.pk} was changed by someone else.")
        self.remember_loaded_row()

    save.alters_data = True

    def delete(self, *args, **kwargs):
        using = kwargs.get("using") or "default"
        with transaction.atomic(using=using, savepoint=False):
            keys = self.counter_keys_for({self.loaded_counter_row(), self.counter_row()})
            change = self.change_row()
            type(self)._touch_dependents([self.pk], using=using)
            result = super().delete(*args, **kwargs)
            bump(keys, using=using)
            self.record([change], "deleted", using=using)
            return result

    delete.alters_data = True

    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        instance = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        # Deferred fields would cost a query each to read here: such a row is then taken as it stands at write time.
        # (A row of every concrete field has none: Django's own test, without looking at each field.)
        whole = len(values) == len(cls._meta.concrete_fields)
        if whole or not instance.get_deferred_fields().intersection(cls.counter_fields()):
            instance.remember_loaded_row()
        return instance

    @classmethod
    def change_kind(cls, verb):
        """Return the kind of change a write of this verb records ("session.changed"), or None."""
        if cls.change_name is None or cls.version_scope != EVENT_SCOPE:
            return None
        return f"{cls.change_name}.{verb}"

    @classmethod
    def record(cls, rows, verb, *, using):
        """Record the change of each (pk, event id, track id) row for the event's listeners (core/changes.py).

        Rows from ``_changed_rows`` carry a fourth item: their events were asked already.
        """
        kind = cls.change_kind(verb)
        if kind is None:
            return
        asked = all(len(row) == 4 for row in rows)
        changes.record_changes(kind, cls, [row[:3] for row in rows], using=using, asked=asked)

    def change_row(self):
        """This row as a change names it: (pk, event id, track id)."""
        track = getattr(type(self), "track_attname", None)
        return (self.pk, getattr(self, self.version_scope_field), getattr(self, track) if track else None)

    @classmethod
    @functools.cache
    def counters(cls):
        """Return every Counter a row of this model belongs to, its own list first (worked out once per model)."""
        return (Counter(cls.version_scope, cls.version_scope_field, cls.version_list), *cls.also_counted_in)

    @classmethod
    def public_fields(cls):
        return tuple(cls.public_rows) if isinstance(cls.public_rows, dict) else ()

    @classmethod
    @functools.cache
    def counter_fields(cls):
        """The attributes whose values decide a row's counters: its scopes', then those deciding if it is public."""
        return (*(counter.field for counter in cls.counters()), *cls.public_fields())

    @classmethod
    def row_with(cls, row, changes):
        """Return a counter row as it will be after an update() with these changes (UNKNOWN for expressions)."""
        fields = cls.counter_fields()
        return tuple(
            (UNKNOWN if isinstance(changes[field], BaseExpression) else changes[field]) if field in changes else value
            for field, value in zip(fields, row, strict=True)
        )

    @classmethod
    def counter_keys_for(cls, rows):
        """Return the counter keys of rows given as tuples of their counter_fields() values."""
        counters, public_fields = cls.counters(), cls.public_fields()
        keys = set()
        for row in rows:
            scopes, public_values = row[: len(counters)], row[len(counters) :]
            keys.update(
                counter_key(counter.scope, value, counter.name)
                for counter, value in zip(counters, scopes, strict=True)
                if value is not None
            )
            if public_fields and scopes[0] is not None and cls._is_public(public_values):
                keys.add(counter_key(cls.version_scope, scopes[0], PUBLIC + cls.version_list))
        return [*keys, *cls.version_global_keys] if keys else []

    @classmethod
    def _is_public(cls, values):
        return all(
            value is UNKNOWN or value in allowed
            for value, allowed in zip(values, cls.public_rows.values(), strict=True)
        )

    def counter_row(self):
        """The row's counter_fields() values as they stand on this instance."""
        return tuple(getattr(self, field) for field in self.counter_fields())

    def loaded_counter_row(self):
        """The values as read from the database (as they stand, for an instance never read)."""
        return getattr(self, "_loaded_counter_row", None) or self.counter_row()

    def remember_loaded_row(self):
        self._loaded_counter_row = self.counter_row()

    @classmethod
    def _touch_dependents(cls, pks, *, using):
        """Bump the versioned rows that point at the rows about to go (their representation changes).

        Rows deleted with them (CASCADE) are not bumped, nor rows that forbid the deletion (PROTECT,
        RESTRICT: if any exist, nothing is deleted).
        """
        if not pks:
            return
        for relation in cls._meta.related_objects:
            related = relation.related_model
            if not issubclass(related, VersionedModel) or relation.on_delete in UNCHANGED_BY_DELETE:
                continue
            related._default_manager.using(using).filter(**{f"{relation.field.name}__in": pks}).update()

    def touch(self):
        """Record a change made outside save() (e.g. many-to-many) by bumping the version."""
        type(self)._default_manager.filter(pk=self.pk).update()
        self.version += 1


# The row being saved with its many-to-many values (saving_with_relations()): setting them is part of that
# one write, which the save bumped and recorded already; a new row starts at version 1.
_saved_row = contextvars.ContextVar("saved_row", default=None)


@contextlib.contextmanager
def saving_with_relations(model):
    """Inside: many-to-many values set on the row of ``model`` being created or saved do not bump it again."""
    token = _saved_row.set(model)
    try:
        yield
    finally:
        _saved_row.reset(token)


def record_m2m_change(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Bump the versioned rows whose many-to-many field changed (add, remove, clear)."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        if isinstance(instance, VersionedModel) and instance.pk is not None and _saved_row.get() is not type(instance):
            instance.touch()
        return
    if issubclass(model, VersionedModel):
        if action == "pre_clear":
            field_name = next(f.name for f in model._meta.many_to_many if f.remote_field.through is sender)
            model._default_manager.filter(**{field_name: instance}).update()
        elif pk_set:
            model._default_manager.filter(pk__in=pk_set).update()
