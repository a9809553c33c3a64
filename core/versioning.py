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

import functools
from contextvars import ContextVar
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from .broadcast import push_after_commit
from .models import VersionCounter
from .precompiled import PrecompiledQuery

# Set while bulk_update runs: its internal update() calls must not bump again.
_inside_bulk_update = ContextVar("inside_bulk_update", default=False)

EVENT_SCOPE = "event"
# The writes below join the caller's transaction without a savepoint of their own (one round trip
# less each): a failure inside rolls back the whole transaction, which is what every caller wants.
STALE_MESSAGE = "Someone else changed this meanwhile; nothing was saved. Reload the page and try again."


class StaleObjectError(Exception):
    """The row changed between reading and writing it (optimistic locking).

    ``user_message`` is what every door shows for it (a form error, a 412's detail).
    """

    user_message = STALE_MESSAGE


def counter_key(scope, scope_id, resource):
    return f"{scope}.{scope_id}.{resource}"


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


def bump(keys, *, using="default"):
    """Increment the named counters by one, creating missing ones; joins the caller's transaction.

    After commit, the sockets watching each event whose counters moved are
    told which resource lists changed (group ``event.<id>``).
    """
    keys = sorted(set(keys))  # a fixed order keeps concurrent writers from deadlocking
    if not keys:
        return
    with transaction.atomic(using=using, savepoint=False):
        now = timezone.now()
        updated = VersionCounter.objects.using(using).filter(key__in=keys).update(value=F("value") + 1, changed_at=now)
        if updated < len(keys):
            VersionCounter.objects.using(using).bulk_create(
                [VersionCounter(key=key, value=1, changed_at=now) for key in keys], ignore_conflicts=True
            )
        changes = _changed_resources_by_event(keys)
        if changes:
            push_after_commit(
                [
                    (event_group(event_id), {"type": "versions.changed", "resources": sorted(resources)})
                    for event_id, resources in changes.items()
                ],
                using=using,
            )


def event_group(event_id):
    """Return the channel-layer group of the sockets watching one event's changes."""
    return f"event.{event_id}"


def _changed_resources_by_event(keys):
    changes = {}
    for key in keys:
        scope, scope_id, resource = key.split(".", 2)
        if scope == EVENT_SCOPE:
            changes.setdefault(scope_id, set()).add(resource)
    return changes


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


def event_counter_keys(event_id):
    """Return the counter key of every resource list of the event, in event_resources() order."""
    return [counter_key(EVENT_SCOPE, event_id, name) for name in event_resources()]


def event_versions(event_id):
    """Return {list name: counter} for every resource list of the event; one query."""
    keys = event_counter_keys(event_id)
    values = read_counters(keys)
    return {name: values[key] for name, key in zip(event_resources(), keys, strict=True)}


class VersionedQuerySet(models.QuerySet):
    """Queryset whose bulk writes bump versions and list counters like single saves do."""

    def _counter_keys(self, objs=None):
        model = self.model
        fields = model.counter_fields()
        if objs is not None:
            rows = {tuple(getattr(obj, field) for field in fields) for obj in objs}
        else:
            rows = set(self.order_by().values_list(*fields).distinct())
        return model.counter_keys_for(rows)

    def update(self, **kwargs):
        if _inside_bulk_update.get():
            return super().update(**kwargs)
        kwargs.setdefault("version", F("version") + 1)
        with transaction.atomic(using=self.db, savepoint=False):
            keys = self._counter_keys()
            rows = super().update(**kwargs)
            if rows:
                bump(keys, using=self.db)
            return rows

    update.alters_data = True

    def delete(self):
        with transaction.atomic(using=self.db, savepoint=False):
            keys = self._counter_keys()
            pks = list(self.order_by().values_list("pk", flat=True))
            self.model._touch_dependents(pks, using=self.db)
            result = super().delete()
            bump(keys, using=self.db)
            return result

    delete.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            bump(self._counter_keys(objs), using=self.db)
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.version += 1
        token = _inside_bulk_update.set(True)
        try:
            with transaction.atomic(using=self.db, savepoint=False):
                rows = super().bulk_update(objs, [*fields, "version"], *args, **kwargs)
                bump(self._counter_keys(objs), using=self.db)
        finally:
            _inside_bulk_update.reset(token)
        return rows


class VersionedModel(models.Model):
    """A row with a version that moves on every write, inside one or more list counters.

    Subclasses declare, once:

    - ``version_list``: the list they belong to in their scope (e.g. "tracks");
    - ``version_scope`` and ``version_scope_field``: the scope ("event") and the
      attribute holding its id ("event_id");
    - ``service``: the matrix service that guards the list (e.g. "track");
    - ``also_counted_in``: further ``Counter`` lists a row belongs to (e.g. the
      roles of its user), and ``version_global_keys`` for site-wide counters.
    """

    version = models.PositiveBigIntegerField(default=1, editable=False)

    objects = VersionedQuerySet.as_manager()

    version_scope = EVENT_SCOPE
    version_scope_field = "event_id"
    version_list = None
    service = None
    also_counted_in = ()
    # Counters bumped on every write of any row, e.g. "site.all.events".
    version_global_keys = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        """Save, bump the list counters and, for an existing row, check nobody wrote it meanwhile.

        Raises StaleObjectError when the stored version differs from the one
        this instance was read with (a concurrent write won).
        """
        using = kwargs.get("using") or "default"
        with transaction.atomic(using=using, savepoint=False):
            if not self._state.adding and self.pk is not None:
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
                super().save(*args, **kwargs)
                bump(self.version_counter_keys(), using=using)
        # Raised outside the block: nothing was written, so the caller's transaction stays usable.
        if not claimed:
            raise StaleObjectError(f"{type(self).__name__} {self.pk} was changed by someone else.")

    save.alters_data = True

    def delete(self, *args, **kwargs):
        using = kwargs.get("using") or "default"
        with transaction.atomic(using=using, savepoint=False):
            keys = self.version_counter_keys()
            type(self)._touch_dependents([self.pk], using=using)
            result = super().delete(*args, **kwargs)
            bump(keys, using=using)
            return result

    delete.alters_data = True

    @classmethod
    def counters(cls):
        """Return every Counter a row of this model belongs to, its own list first."""
        return (Counter(cls.version_scope, cls.version_scope_field, cls.version_list), *cls.also_counted_in)

    @classmethod
    def counter_fields(cls):
        return tuple(counter.field for counter in cls.counters())

    @classmethod
    def counter_keys_for(cls, rows):
        """Return the counter keys of rows given as tuples of their counter_fields() values."""
        keys = {
            counter_key(counter.scope, value, counter.name)
            for row in rows
            for counter, value in zip(cls.counters(), row, strict=True)
            if value is not None
        }
        return [*keys, *cls.version_global_keys] if keys else []

    def version_counter_keys(self):
        return self.counter_keys_for([tuple(getattr(self, field) for field in self.counter_fields())])

    @classmethod
    def _touch_dependents(cls, pks, *, using):
        """Bump the versioned rows that point at the rows about to go (their representation changes)."""
        if not pks:
            return
        for relation in cls._meta.related_objects:
            related = relation.related_model
            if not issubclass(related, VersionedModel) or getattr(relation, "on_delete", None) is models.CASCADE:
                continue
            related._default_manager.using(using).filter(**{f"{relation.field.name}__in": pks}).update()

    def touch(self):
        """Record a change made outside save() (e.g. many-to-many) by bumping the version."""
        type(self)._default_manager.filter(pk=self.pk).update()
        self.version += 1


def record_m2m_change(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Bump the versioned rows whose many-to-many field changed (add, remove, clear)."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        if isinstance(instance, VersionedModel) and instance.pk is not None:
            instance.touch()
        return
    if issubclass(model, VersionedModel):
        if action == "pre_clear":
            field_name = next(f.name for f in model._meta.many_to_many if f.remote_field.through is sender)
            model._default_manager.filter(**{field_name: instance}).update()
        elif pk_set:
            model._default_manager.filter(pk__in=pk_set).update()
