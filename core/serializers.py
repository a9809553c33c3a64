"""Serializer bases every app's API extends: model rules shared with forms, objects scoped to one event."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers


class ModelCleanMixin:
    """Run the model's clean() on the would-be instance so the API and forms share one rule set."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        plain = {key: value for key, value in attrs.items() if not model._meta.get_field(key).many_to_many}
        if self.instance is not None:
            candidate = model(**{f.attname: getattr(self.instance, f.attname) for f in model._meta.concrete_fields})
        else:
            candidate = model()
        for key, value in plain.items():
            setattr(candidate, key, value)
        event = self.context.get("event")
        if event is not None and hasattr(candidate, "event_id"):
            candidate.event = event  # clean() compares with the event's dates without reading it again
        try:
            candidate.clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from error
        return attrs


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


class EventOwnedSerializer(PrivateFieldsMixin, ModelCleanMixin, serializers.ModelSerializer):
    """Serializer of an object of one event (context ``event``): related fields offer objects of that event only.

    Private fields: see PrivateFieldsMixin.
    """

    related_event_fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        event = self.context.get("event")
        for name in self.related_event_fields:
            field = self.fields[name]
            target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
            target.queryset = target.queryset.filter(event=event) if event is not None else target.queryset.none()


class RefuseUnknownFieldsMixin:
    """Refuse input fields the serializer does not declare, each by name (instead of ignoring them silently).

    ``unknown_field_messages`` may give a field a message of its own (e.g. why a
    client must not send a total).
    """

    unknown_field_messages = {}

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in writable)
            if unknown:
                raise serializers.ValidationError(
                    {key: [self.unknown_field_messages.get(key, "Unknown field.")] for key in unknown}
                )
        return super().to_internal_value(data)
