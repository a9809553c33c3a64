"""Version counters: the one mechanism behind ETags, 304 and 412.

Every write path bumps, in the same transaction, the ``version`` column of
the rows it changes and the named counter of the list they belong to (for
instance ``event.12.tracks``). Reading a list's counter costs one indexed
query, so a conditional GET can answer 304 without loading the list.
"""

from contextvars import ContextVar

from django.db import models, transaction
from django.db.models import F

from .broadcast import push_after_commit
from .models import VersionCounter

# Set while bulk_update runs: its internal update() calls must not bump again.
_inside_bulk_update = ContextVar("inside_bulk_update", default=False)


class StaleObjectError(Exception):
    """The row changed between reading and writing it (optimistic locking)."""


def counter_key(scope, scope_id, resource):
    return f"{scope}.{scope_id}.{resource}"


def bump(keys, *, using="default"):
    """Increment the named counters by one, creating missing ones; joins the caller's transaction.

    After commit, the sockets watching each event whose counters moved are
    told which resource lists changed (group ``event.<id>``).
    """
    keys = sorted(set(keys))  # a fixed order keeps concurrent writers from deadlocking
    if not keys:
        return
    with transaction.atomic(using=using):
        updated = VersionCounter.objects.using(using).filter(key__in=keys).update(value=F("value") + 1)
        if updated < len(keys):
            VersionCounter.objects.using(using).bulk_create(
                [VersionCounter(key=key, value=1) for key in keys], ignore_conflicts=True
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
        if scope == "event":
            changes.setdefault(scope_id, set()).add(resource)
    return changes


def read_counters(keys, *, using="default"):
    """Return {key: value} for the keys given (0 for a counter never bumped); one query."""
    found = dict(VersionCounter.objects.using(using).filter(key__in=keys).values_list("key", "value"))
    return {key: found.get(key, 0) for key in keys}


class VersionedQuerySet(models.QuerySet):
    """Queryset whose bulk writes bump versions and list counters like single saves do."""

    def _counter_keys(self, objs=None):
        model = self.model
        if objs is not None:
            scope_ids = {getattr(obj, model.version_scope_field) for obj in objs}
        else:
            scope_ids = set(self.order_by().values_list(model.version_scope_field, flat=True).distinct())
        return model.counter_keys_for(scope_ids)

    def update(self, **kwargs):
        if _inside_bulk_update.get():
            return super().update(**kwargs)
        kwargs.setdefault("version", F("version") + 1)
        with transaction.atomic(using=self.db):
            keys = self._counter_keys()
            rows = super().update(**kwargs)
            if rows:
                bump(keys, using=self.db)
            return rows

    update.alters_data = True

    def delete(self):
        with transaction.atomic(using=self.db):
            keys = self._counter_keys()
            pks = list(self.order_by().values_list("pk", flat=True))
            self.model._touch_dependents(pks, using=self.db)
            result = super().delete()
            bump(keys, using=self.db)
            return result

    delete.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            bump(self._counter_keys(objs), using=self.db)
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.version += 1
        token = _inside_bulk_update.set(True)
        try:
            with transaction.atomic(using=self.db):
                rows = super().bulk_update(objs, [*fields, "version"], *args, **kwargs)
                bump(self._counter_keys(objs), using=self.db)
        finally:
            _inside_bulk_update.reset(token)
        return rows


class VersionedModel(models.Model):
    """A row with a version that moves on every write, inside a list counter.

    Subclasses name the counter they belong to with ``version_scope`` (e.g.
    "event"), ``version_scope_field`` (the attribute holding the scope id)
    and ``version_list`` (e.g. "tracks").
    """

    version = models.PositiveBigIntegerField(default=1, editable=False)

    objects = VersionedQuerySet.as_manager()

    version_scope = "event"
    version_scope_field = "event_id"
    version_list = None
    # Counters bumped on every write of any row, e.g. "site.all.events".
    version_global_keys = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        """Save, bump the list counter and, for an existing row, check nobody wrote it meanwhile.

        Raises StaleObjectError when the stored version differs from the one
        this instance was read with (a concurrent write won).
        """
        using = kwargs.get("using") or "default"
        with transaction.atomic(using=using):
            if not self._state.adding and self.pk is not None:
                claimed = (
                    type(self)
                    ._base_manager.using(using)
                    .filter(pk=self.pk, version=self.version)
                    .update(version=F("version") + 1)
                )
                if not claimed:
                    raise StaleObjectError(f"{type(self).__name__} {self.pk} was changed by someone else.")
                self.version += 1
            super().save(*args, **kwargs)
            bump(self.version_counter_keys(), using=using)

    save.alters_data = True

    def delete(self, *args, **kwargs):
        using = kwargs.get("using") or "default"
        with transaction.atomic(using=using):
            keys = self.version_counter_keys()
            type(self)._touch_dependents([self.pk], using=using)
            result = super().delete(*args, **kwargs)
            bump(keys, using=using)
            return result

    delete.alters_data = True

    @classmethod
    def counter_keys_for(cls, scope_ids):
        """Return the counter keys that rows in these scopes belong to."""
        keys = [counter_key(cls.version_scope, scope_id, cls.version_list) for scope_id in scope_ids]
        return [*keys, *cls.version_global_keys] if keys else []

    def version_counter_keys(self):
        return self.counter_keys_for([getattr(self, self.version_scope_field)])

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
