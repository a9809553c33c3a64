from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.images import ImageRefused
from core.links import absolute_reverse
from core.serializers import EventOwnedSerializer, ModelCleanMixin, ModelSerializer, PrivateFieldsMixin
from core.versioning import event_resources

from .models import Event, Microlocation, Session, Speaker, Sponsor, Track
from .sponsors import clean_logo

# The event's public addresses: its page, the schedule and every feed (docs/schedule.md).
EVENT_LINKS = {
    "public_page": "public:event",
    "schedule": "public:schedule",
    "schedule_data": "public:schedule-data",
    "schedule_ics": "public:schedule-ics",
    "schedule_frab_xml": "public:schedule-xml",
    "schedule_frab_json": "public:schedule-json",
}
EventLinksSerializer = type(
    "EventLinksSerializer",
    (serializers.Serializer,),
    {name: serializers.URLField(read_only=True) for name in EVENT_LINKS},
)


class EventSerializer(PrivateFieldsMixin, ModelCleanMixin, ModelSerializer):
    # How buyers pay is shown to them on their order's page; in the API it is for those who may change it.
    private_fields = {"payment_instructions": ("update", "event"), "payment_days": ("update", "event")}

    background_url = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()
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
            "currency",
            "state",
            "payment_instructions",
            "payment_days",
            "background_url",
            "links",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["state", "version", "created_at", "updated_at"]

    def get_background_url(self, event) -> str | None:
        return event.background.url if event.background else None

    @extend_schema_field(EventLinksSerializer)
    def get_links(self, event):
        """Absolute addresses of the event's public page, schedule and feeds (public once it is published)."""
        return {name: absolute_reverse(url_name, event.slug) for name, url_name in EVENT_LINKS.items()}

    def validate_currency(self, value):
        if self.instance is not None:
            self.instance.check_currency(value)  # a Django ValidationError: DRF reports it on the field
        return value

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

    def create(self, validated_data):
        if "color" not in validated_data:  # as the page offers it: one the event's tracks do not have yet
            validated_data["color"] = Track.next_color(self.context["event"])
        return super().create(validated_data)


class MicrolocationSerializer(EventOwnedSerializer):
    class Meta:
        model = Microlocation
        fields = ["id", "name", "floor", "latitude", "longitude", "version"]
        read_only_fields = ["version"]


class SpeakerSerializer(EventOwnedSerializer):
    # A speaker's address is for those who may edit speakers, never for the public.
    private_fields = {"email": ("update", "speaker")}

    class Meta:
        model = Speaker
        fields = ["id", "name", "email", "bio", "organisation", "version"]
        read_only_fields = ["version"]


class SponsorSerializer(EventOwnedSerializer):
    def validate_logo(self, logo):
        if not logo:
            return logo
        try:
            return clean_logo(logo)
        except ImageRefused as error:
            raise serializers.ValidationError(error.message) from error

    class Meta:
        model = Sponsor
        fields = ["id", "name", "url", "level", "logo", "version"]
        read_only_fields = ["version"]


class SessionSerializer(EventOwnedSerializer):
    related_event_fields = ("track", "microlocation", "speakers")
    # ?expand=: field -> (service, version list, serializer of the whole object); the context's "expand" names them.
    expandable = {
        "microlocation": ("microlocation", "microlocations", MicrolocationSerializer),
        "speakers": ("speaker", "speakers", SpeakerSerializer),
        "track": ("track", "tracks", TrackSerializer),
    }

    def get_fields(self):
        fields = super().get_fields()
        for name in self.context.get("expand", ()):
            nested = self.expandable[name][2]
            fields[name] = nested(many=name == "speakers", read_only=True, context=self.context)
        return fields

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
            "state",
            "version",
        ]
        read_only_fields = ["version"]


# The counters of GET /events/{id}/versions/, one field per resource list of an event.
VersionsSerializer = type(
    "VersionsSerializer",
    (serializers.Serializer,),
    {name: serializers.IntegerField(min_value=0) for name in event_resources()},
)
