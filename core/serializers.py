"""Serializer bases every app's API extends: model rules shared with forms, objects scoped to one event."""

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


class EventOwnedSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """Serializer of an object of one event (context ``event``): related fields offer objects of that event only.

    ``private_fields`` maps a field to the (operation, service) a reader needs
    to see it (context ``permissions``, the reader's permissions in the event);
    without it the field is left out, for reading and writing alike; None
    stands for the public, who sees no private field.
    """

    related_event_fields = ()
    private_fields = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Without a reader (schema generation, code of our own) every field is there.
        if "permissions" in self.context:
            for name in self.hidden_fields(self.context["permissions"]):
                self.fields.pop(name, None)
        event = self.context.get("event")
        for name in self.related_event_fields:
            field = self.fields[name]
            target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
            target.queryset = target.queryset.filter(event=event) if event is not None else target.queryset.none()

    @classmethod
    def hidden_fields(cls, permissions):
        """Return the private fields a reader with these permissions (None: anyone) may not see."""
        return sorted(
            name
            for name, (operation, service) in cls.private_fields.items()
            if permissions is None or not permissions.can(operation, service, anywhere=True)
        )
