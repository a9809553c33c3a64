"""Serializer bases every app's API extends: model rules shared with forms, objects scoped to one event."""

import copy
import datetime
import functools
import operator
from collections.abc import Mapping

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import MANY_RELATION_KWARGS, PKOnlyObject

from .names import check_unique_name
from .precompiled import PrecompiledQuery
from .versioning import saving_with_relations

NAIVE_DATETIME = (
    "Send the time with its UTC offset, e.g. 2026-09-10T09:00:00+02:00 or 2026-09-10T07:00:00Z; "
    "a time without one is ambiguous."
)


class UTCDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC, as the API answers: DRF's field asks for the current time zone per value (a tenth of a list).

    Input must carry its offset: a naive time is refused, not read in some zone the client never named.
    """

    def enforce_timezone(self, value):
        if value.tzinfo is None or value.utcoffset() is None:
            raise serializers.ValidationError(NAIVE_DATETIME, code="naive_datetime")
        return super().enforce_timezone(value)

    def to_representation(self, value):
        if not value:
            return None
        text = value.astimezone(datetime.UTC).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text


class RefuseUnknownFieldsMixin:
    """Refuse input fields the serializer does not declare or only shows, each by name (instead of ignoring them).

    ``unknown_field_messages`` may give a field a message of its own (e.g. why a
    client must not send a total). The refusals come in one answer with the
    other field errors.
    """

    unknown_field_messages = {}

    def to_internal_value(self, data):
        refused = {}
        if isinstance(data, Mapping):
            fields = self.fields
            for key in data:
                field = fields.get(key)
                if field is None or field.read_only:
                    default = "Unknown field." if field is None else "This field is read-only."
                    refused[str(key)] = [self.unknown_field_messages.get(key, default)]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if refused and isinstance(error.detail, dict):
                raise serializers.ValidationError({**refused, **error.detail}) from error
            raise
        if refused:
            raise serializers.ValidationError(dict(sorted(refused.items())))
        return value


# DRF's ModelSerializer with the API's own date-time field, strict input, and a faster read. (No docstring:
# the OpenAPI schema would show it as the description of every serializer that has none of its own.)
class ModelSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
    }

    def get_fields(self):
        """Build the fields from the model once per class; each serializer gets copies of them.

        DRF deep-copies a field by making it anew from its arguments (a hundred
        microseconds for an event's sixteen). A field that holds no other field
        is copied as it is instead: binding it to this serializer only sets
        attributes of its own, and its validators get a list of their own. One
        that holds fields (a nested serializer, a many-related field's child)
        is deep-copied as DRF copies it, so that binding never reaches a field
        another serializer uses.
        """
        prototypes = _FIELD_PROTOTYPES.get(type(self))
        if prototypes is None:
            prototypes = _FIELD_PROTOTYPES[type(self)] = [
                (name, field, _holds_fields(field)) for name, field in super().get_fields().items()
            ]
        return {name: copy.deepcopy(field) if nested else _copy_field(field) for name, field, nested in prototypes}

    def create(self, validated_data):
        """Create the row and set its many-to-many values: one write (a new row is at version 1)."""
        with transaction.atomic(), saving_with_relations(self.Meta.model):
            return super().create(validated_data)

    def update(self, instance, validated_data):
        """Store what the request changes; a write that changes nothing stores nothing.

        A PATCH of {} or a PUT of the object as it stands keeps its version (so its ETag) and
        ``updated_at``, and moves no counter and queues no webhook: nothing happened. A write that
        changes something is one new version and one recorded change, its many-to-many values included.
        """
        if not would_change(instance, validated_data):
            return instance
        with transaction.atomic(savepoint=False), saving_with_relations(self.Meta.model):
            return super().update(instance, validated_data)

    def to_representation(self, instance):
        """Represent the instance as DRF would, reading plain columns straight from it (see ``read_plan``)."""
        plan = self.__dict__.get("_read_plan")
        if plan is None:  # once per serializer: a list's child serves every row
            plan = self.__dict__["_read_plan"] = read_plan(self)
        data = {}
        for name, read in plan:
            value = read(instance)
            if value is not SKIP:
                data[name] = value
        return data


def would_change(instance, data):
    """Whether storing ``data`` (validated values by model field name) on the saved instance would change it.

    Many-to-many values are compared as sets of ids (one query each, only when the plain values are equal);
    a file sent is a change, as is clearing one; a name the model does not know counts as a change.
    """
    relations = []
    for name, value in data.items():
        try:
            field = instance._meta.get_field(name)
        except FieldDoesNotExist:
            return True
        if field.many_to_many:
            relations.append((name, {item.pk for item in value}))
        elif isinstance(field, models.FileField):
            if value or getattr(instance, name):
                return True
        elif field.is_relation:
            if getattr(instance, field.attname) != (None if value is None else value.pk):
                return True
        elif getattr(instance, name) != value:
            return True
    return any(set(getattr(instance, name).values_list("pk", flat=True)) != ids for name, ids in relations)


_FIELD_PROTOTYPES = {}  # serializer class -> [(name, field, holds fields)], unbound, as DRF built them


def _holds_fields(field):
    return isinstance(field, serializers.BaseSerializer) or any(
        isinstance(value, serializers.Field) for value in vars(field).values()
    )


def _copy_field(field):
    duplicate = copy.copy(field)
    if "_validators" in vars(field):
        duplicate._validators = list(field._validators)
    return duplicate


SKIP = object()
# DRF fields (exactly these classes) that show a column of these model types as stored: DRF's
# to_representation would return the same str, int or bool.
TEXT = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}
INTEGER = {
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
}
AS_STORED = {
    serializers.CharField: TEXT,
    serializers.EmailField: TEXT,
    serializers.SlugField: TEXT,
    serializers.URLField: TEXT,
    serializers.IntegerField: INTEGER,
    serializers.BooleanField: {"BooleanField"},
}


def shown_as_stored(field, model_field):
    if type(field) is serializers.ChoiceField:
        return bool(model_field.choices)
    return model_field.get_internal_type() in AS_STORED.get(type(field), ())


def read_plan(serializer):
    """Return [(name, read(instance))] for the readable fields of a model serializer.

    DRF asks every field of every row for its attribute and its
    representation, through a few generic calls each: most of a list's
    answer. Here a field that only shows a column as stored (one of
    ``AS_STORED``, exactly that class), a date-time, the id of a foreign key
    or the prefetched ids of a many-to-many is read from the instance
    directly; any other field is asked as DRF asks it. The output is the
    same (core/tests/test_serializers.py compares them on every serializer
    of the API).
    """
    meta = serializer.Meta.model._meta
    plan = []
    for field in serializer._readable_fields:
        source = field.source
        model_field = _model_field(meta, source) if source != "*" and "." not in source else None
        if model_field is not None and not model_field.is_relation and shown_as_stored(field, model_field):
            plan.append((field.field_name, _attribute(model_field.attname)))
        elif model_field is not None and type(field) is UTCDateTimeField and not model_field.is_relation:
            plan.append((field.field_name, _date_time(model_field.attname, field)))
        elif model_field is not None and model_field.many_to_one and _shows_pk(field):
            plan.append((field.field_name, _attribute(model_field.attname)))
        else:
            plan.append((field.field_name, _as_drf_reads(field)))
    return plan


def _model_field(meta, name):
    try:
        return meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _shows_pk(field):
    return isinstance(field, serializers.PrimaryKeyRelatedField) and field.pk_field is None


def _attribute(attname):
    return operator.attrgetter(attname)


def _date_time(attname, field):
    def read(instance):
        value = getattr(instance, attname)
        return field.to_representation(value) if value else None

    return read


def _as_drf_reads(field):
    def read(instance):
        try:
            attribute = field.get_attribute(instance)
        except SkipField:
            return SKIP
        check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        return None if check_for_none is None else field.to_representation(attribute)

    return read


class ModelCleanMixin:
    """Run the model's clean() on the would-be instance so the API and forms share one rule set.

    When some fields are refused, clean() still runs on the others, so a client
    gets every error in one answer (a bad time zone does not hide an end before the start).
    """

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, dict) or not isinstance(data, Mapping):
                raise
            more = self._clean_errors_of_valid_fields(data, set(error.detail))
            if not more:
                raise
            raise serializers.ValidationError({**error.detail, **more}) from error

    def _clean_errors_of_valid_fields(self, data, refused):
        """The model's clean() errors on the fields that were valid, for the fields not refused already."""
        attrs = {}
        for field in self._writable_fields:
            # A file was read (and closed) by the first pass, and no clean() compares files: not read again.
            if field.field_name in refused or field.source == "*" or isinstance(field, serializers.FileField):
                continue
            try:
                value = field.run_validation(field.get_value(data))
            except (serializers.ValidationError, DjangoValidationError, SkipField):
                continue
            attrs[field.source] = value
        candidate = self._candidate(attrs)
        # clean() is written for a complete row: with a required value missing it has nothing to compare.
        written = {field.source for field in self._writable_fields}
        if any(
            getattr(candidate, field.attname) is None
            for field in candidate._meta.concrete_fields
            if not field.null and field.name in written
        ):
            return {}
        try:
            self._clean(candidate, attrs)
        except serializers.ValidationError as error:
            detail = error.detail if isinstance(error.detail, dict) else {}
            return {key: value for key, value in detail.items() if key not in refused}
        return {}

    def validate(self, attrs):
        attrs = super().validate(attrs)
        self._clean(self._candidate(attrs), attrs)
        return attrs

    def _candidate(self, attrs):
        """The would-be instance: the stored row (or a new one) with the valid input set on it."""
        model = self.Meta.model
        plain = {key: value for key, value in attrs.items() if not model._meta.get_field(key).many_to_many}
        if self.instance is not None:
            candidate = model(**{f.attname: getattr(self.instance, f.attname) for f in model._meta.concrete_fields})
            candidate._state.adding, candidate._state.db = False, self.instance._state.db
        else:
            candidate = model()
        for key, value in plain.items():
            setattr(candidate, key, value)
        event = self.context.get("event")
        if event is not None and hasattr(candidate, "event_id"):
            candidate.event = event  # clean() compares with the event's dates without reading it again
        return candidate

    def _clean(self, candidate, attrs):
        """The model's clean() and, for a new row or a new name, the name's uniqueness in the event, in one error."""
        checks = [candidate.clean]
        if candidate._state.adding or "name" in attrs:
            checks.append(functools.partial(check_unique_name, candidate))
        detail = {}
        for check in checks:
            try:
                check()
            except DjangoValidationError as error:
                for key, messages in serializers.as_serializer_error(error).items():
                    detail.setdefault(key, []).extend(messages)
        if detail:
            raise serializers.ValidationError(detail)


class ManyIdsField(serializers.ManyRelatedField):
    """A many-to-many as a list of ids; reads the ids the view prefetched (``prefetch_ids``) when there are some.

    DRF's field would ask each object for ``relation.all()``: a queryset per
    object, and model instances, only to print their ids. An object sent for
    the list is refused (DRF took its keys for the ids).
    """

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)

    def get_attribute(self, instance):
        prefetched = getattr(instance, PREFETCHED_IDS, {}).get(self.field_name)
        return super().get_attribute(instance) if prefetched is None else prefetched

    def to_representation(self, iterable):
        return [item if isinstance(item, int) else self.child_relation.to_representation(item) for item in iterable]


class EventScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """An object of the serializer's event (context ``event``), by id: only that event's objects are valid choices.

    The choices are narrowed when a write asks for them, not when the
    serializer is made: a read never needs them.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        event = self.context.get("event")
        return queryset.filter(event=event) if event is not None else queryset.none()

    @classmethod
    def many_init(cls, *args, **kwargs):
        # As RelatedField.many_init, with the ids-reading list field.
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update({key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS})
        return ManyIdsField(**list_kwargs)


class PrivateFieldsMixin:
    """``private_fields`` maps a field to the (operation, service) a reader needs to see it.

    The reader's permissions in the event come in the context (``permissions``; None stands for the
    public, who sees no private field); without them the field is left out, for reading and writing
    alike. Without a reader at all (schema generation, code of our own) every field is there.
    """

    private_fields = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "permissions" in self.context:
            for name in self.hidden_fields(self.context["permissions"]):
                self.fields.pop(name, None)

    @classmethod
    def hidden_fields(cls, permissions):
        """Return the private fields a reader with these permissions (None: anyone) may not see."""
        return sorted(
            name
            for name, (operation, service) in cls.private_fields.items()
            if permissions is None or not permissions.can(operation, service, anywhere=True)
        )


class EventOwnedSerializer(PrivateFieldsMixin, ModelCleanMixin, ModelSerializer):
    """Serializer of an object of one event (context ``event``): related fields offer objects of that event only.

    Private fields: see PrivateFieldsMixin.
    """

    related_event_fields = ()

    def build_relational_field(self, field_name, relation_info):
        field_class, field_kwargs = super().build_relational_field(field_name, relation_info)
        if field_name in self.related_event_fields:
            field_class = EventScopedRelatedField
        return field_class, field_kwargs

    def get_fields(self):
        fields = super().get_fields()
        for name in self.related_event_fields:
            field = fields[name]
            target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
            if not isinstance(target, EventScopedRelatedField):  # a declared field would offer every event's objects
                raise ImproperlyConfigured(f"{type(self).__name__}.{name} must be an EventScopedRelatedField.")
        return fields


PREFETCHED_IDS = "_prefetched_ids"


def prefetch_ids(objects, *field_names):
    """Read the ids of many-to-many fields of these objects, one query per field, for ManyIdsField; return them.

    The ids come in the related model's default order, as ``relation.all()`` gives them.
    """
    objects = list(objects)
    if not objects:
        return objects
    model = type(objects[0])
    for name in field_names:
        found = {obj.pk: [] for obj in objects}
        for owner, related in _ids_query(model, name, len(found)).rows(*found):
            found[owner].append(related)
        for obj in objects:
            obj.__dict__.setdefault(PREFETCHED_IDS, {})[name] = found[obj.pk]
    return objects


@functools.lru_cache(maxsize=512)
def _ids_query(model, name, count):
    """The (owner id, related id) pairs of a many-to-many's table for ``count`` owners, in the related model's
    order; compiled once."""
    field = model._meta.get_field(name)
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    ordering = [
        f"-{target}__{order[1:]}" if order.startswith("-") else f"{target}__{order}"
        for order in field.related_model._meta.ordering
    ]

    def build(*owners):
        rows = field.remote_field.through.objects.filter(**{f"{source}_id__in": owners}).order_by(*ordering)
        return rows.values_list(f"{source}_id", f"{target}_id")

    return PrecompiledQuery(build, *[int] * count)
