from rest_framework import serializers

from core.serializers import EventOwnedSerializer, ModelCleanMixin, ModelSerializer
from core.versioning import event_resources

from .models import Event, Microlocation, Session, Speaker, Sponsor, Track


class EventSerializer(ModelCleanMixin, ModelSerializer):
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


# The counters of GET /events/{id}/versions/, one field per resource list of an event.
VersionsSerializer = type(
    "VersionsSerializer",
    (serializers.Serializer,),
    {name: serializers.IntegerField(min_value=0) for name in event_resources()},
)
