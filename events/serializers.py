from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from .models import Event, Microlocation, Session, Speaker, Sponsor, Track


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
        if hasattr(candidate, "event_id") and "event_id" in self.context:
            candidate.event_id = int(self.context["event_id"])  # clean() loads the event if it needs it
        try:
            candidate.clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from error
        return attrs


class EventSerializer(ModelCleanMixin, serializers.ModelSerializer):
    background_url = serializers.SerializerMethodField()
    slug = serializers.SlugField(required=False, max_length=100)

    class Meta:
        model = Event
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "location",
            "starts_at",
            "ends_at",
            "timezone",
            "state",
            "background_url",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["state", "version", "created_at", "updated_at"]

    def get_background_url(self, event) -> str | None:
        return event.background.url if event.background else None

    def validate_slug(self, value):
        queryset = Event.objects.filter(slug=value)
        if self.instance is not None:
            queryset = queryset.exclude(pk=self.instance.pk)
        if queryset.exists():
            raise serializers.ValidationError("Another event already uses this slug.")
        return value


class MyEventSerializer(EventSerializer):
    roles = serializers.SerializerMethodField()

    class Meta(EventSerializer.Meta):
        fields = [*EventSerializer.Meta.fields, "roles"]

    def get_roles(self, event) -> list[str]:
        return sorted(role.role.name for role in event.my_roles)


class EventOwnedSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """Serializer of an event's service: related fields only offer objects of the same event."""

    related_event_fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        event_id = self.context.get("event_id")
        for name in self.related_event_fields:
            field = self.fields[name]
            target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
            target.queryset = target.queryset.filter(event_id=event_id)


class TrackSerializer(EventOwnedSerializer):
    class Meta:
        model = Track
        fields = ["id", "name", "description", "color", "location", "version"]
        read_only_fields = ["version"]


class MicrolocationSerializer(EventOwnedSerializer):
    class Meta:
        model = Microlocation
        fields = ["id", "name", "floor", "latitude", "longitude", "version"]
        read_only_fields = ["version"]


class SpeakerSerializer(EventOwnedSerializer):
    class Meta:
        model = Speaker
        fields = ["id", "name", "email", "bio", "organisation", "version"]
        read_only_fields = ["version"]


class SponsorSerializer(EventOwnedSerializer):
    class Meta:
        model = Sponsor
        fields = ["id", "name", "url", "level", "logo", "version"]
        read_only_fields = ["version"]


class SessionSerializer(EventOwnedSerializer):
    related_event_fields = ("track", "microlocation", "speakers")

    class Meta:
        model = Session
        fields = [
            "id",
            "title",
            "abstract",
            "track",
            "microlocation",
            "speakers",
            "starts_at",
            "ends_at",
            "version",
        ]
        read_only_fields = ["version"]


class VersionsSerializer(serializers.Serializer):
    event = serializers.IntegerField()
    tickets = serializers.IntegerField()
    tracks = serializers.IntegerField()
    sessions = serializers.IntegerField()
    speakers = serializers.IntegerField()
    sponsors = serializers.IntegerField()
    microlocations = serializers.IntegerField()
    roles = serializers.IntegerField()
