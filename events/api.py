"""Events API: events, their services, and the versions endpoint."""

from django.db.models import Count, Sum
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.conditional import ConditionalListMixin, ConditionalMixin, make_etag
from core.versioning import counter_key, event_versions, read_counters
from permissions.drf import EventScopedViewMixin, EventScopedViewSet, EventServicePermission

from . import serializers
from .models import Event, Microlocation, Session, Speaker, Sponsor, Track
from .queries import events_of_user
from .services import create_event


class EventViewSet(ConditionalMixin, EventScopedViewMixin, viewsets.ModelViewSet):
    """Events. Listing all is for staff; see /api/v1/me/events/ for your own."""

    # The event itself is the service "event", asked of the engine like every other;
    # the list and create (no event in the URL) are asked of the site (staff read, anyone creates).
    service = "event"
    event_url_kwarg = "pk"
    permission_classes = [EventServicePermission]

    serializer_class = serializers.EventSerializer
    filterset_fields = ["state"]
    ordering_fields = ["starts_at", "name", "created_at"]
    ordering = ["starts_at", "id"]

    def get_queryset(self):
        return Event.objects.all()

    def get_object(self):
        self.check_object_permissions(self.request, self.event)
        return self.event

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.has_event and not self.for_schema_only:
            context["permissions"] = self.reader_permissions()
        return context

    def list_etag_parts(self):
        return tuple(read_counters(Event.version_global_keys).values())

    def perform_create(self, serializer):
        self.created_instance = create_event(user=self.request.user, **serializer.validated_data)
        serializer.instance = self.created_instance

    @extend_schema(responses=serializers.VersionsSerializer)
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        """Return the event's modification counters, one per resource list."""
        body = event_versions(self.event.pk)
        etag = make_etag("versions", self.event.pk, tuple(body.values()))
        return self._conditional(etag, lambda: Response(body))


class MyEventsViewSet(ConditionalListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The events you hold a role in, with your roles."""

    serializer_class = serializers.MyEventSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_fields = ["state"]
    ordering_fields = ["starts_at", "name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Event.objects.none()
        return events_of_user(self.request.user)

    def list_etag_parts(self):
        # The user's roles have a counter of their own; the events' rows have
        # versions, summed by one aggregate query (no list is loaded).
        user = self.request.user
        roles = read_counters([counter_key("user", user.pk, "roles")])
        versions = Event.objects.filter(roles__user=user).aggregate(total=Sum("version"), count=Count("id"))
        return (user.pk, *roles.values(), versions["total"], versions["count"])


class TrackViewSet(EventScopedViewSet):
    service, model = "track", Track
    serializer_class = serializers.TrackSerializer
    filterset_fields = ["name"]
    ordering_fields = ["name", "id"]


class SessionViewSet(EventScopedViewSet):
    service, model = "session", Session
    serializer_class = serializers.SessionSerializer
    filterset_fields = {
        "track": ["exact"],
        "microlocation": ["exact"],
        "speakers": ["exact"],
        "starts_at": ["gte", "lte"],
        "state": ["exact"],
    }
    ordering_fields = ["starts_at", "title", "id"]
    many_ids = ("speakers",)

    def get_queryset(self):
        queryset = super().get_queryset()
        if not self.for_schema_only and self.reads_publicly():
            # The public reads confirmed and cancelled sessions; the team (a read grant) sees drafts too.
            # The ETag already differs between the two (etag_variant: "public" / "member").
            queryset = queryset.filter(state__in=Session.PUBLIC_STATES)
        return queryset


class SpeakerViewSet(EventScopedViewSet):
    service, model = "speaker", Speaker
    serializer_class = serializers.SpeakerSerializer
    filterset_fields = ["organisation"]
    ordering_fields = ["name", "id"]


class SponsorViewSet(EventScopedViewSet):
    service, model = "sponsor", Sponsor
    serializer_class = serializers.SponsorSerializer
    filterset_fields = ["level"]
    ordering_fields = ["name", "level", "id"]


class MicrolocationViewSet(EventScopedViewSet):
    service, model = "microlocation", Microlocation
    serializer_class = serializers.MicrolocationSerializer
    filterset_fields = ["floor"]
    ordering_fields = ["name", "floor", "id"]
