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
    """Serializer of an object of one event (context ``event``): related fields offer objects of that event only."""

    related_event_fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        event = self.context.get("event")
        for name in self.related_event_fields:
            field = self.fields[name]
            target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
            target.queryset = target.queryset.filter(event=event) if event is not None else target.queryset.none()
