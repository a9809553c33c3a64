"""Events API: events, their services, and the versions endpoint."""

from django.db import transaction
from django.db.models import Count, Sum
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from eventsite.conditional import ConditionalListMixin, ConditionalMixin, make_etag, none_match
from eventsite.versioning import counter_key, read_counters
from permissions.drf import EventScopedViewMixin, EventServicePermission
from permissions.names import CREATE, READ, TRACK_SCOPED_SERVICES

from . import serializers
from .models import Event, Microlocation, Session, Speaker, Sponsor, Track
from .queries import event_versions, events_of_user
from .services import create_event


class IsStaffForList(permissions.BasePermission):
    """Listing every event is for staff; anyone signed in may create one."""

    def has_permission(self, request, view):
        if view.action == "list":
            return bool(request.user.is_authenticated and request.user.is_staff)
        return bool(request.user.is_authenticated)


class EventViewSet(ConditionalMixin, EventScopedViewMixin, viewsets.ModelViewSet):
    """Events. Listing all is for staff; see /api/v1/me/events/ for your own."""

    # The event itself is the service "event", asked of the engine like every other.
    service = "event"
    event_url_kwarg = "pk"

    serializer_class = serializers.EventSerializer
    filterset_fields = ["state"]
    ordering_fields = ["starts_at", "name", "created_at"]
    ordering = ["starts_at", "id"]

    def get_queryset(self):
        return Event.objects.all()

    def get_permissions(self):
        # Without a "pk" (the list URL, any method) there is no event to ask about.
        if self.action in ("list", "create") or "pk" not in self.kwargs:
            return [IsStaffForList()]
        return [EventServicePermission()]

    def get_object(self):
        event = Event.objects.filter(pk=self.kwargs["pk"]).first()
        if event is None:
            raise Http404("No such event.")
        self.check_object_permissions(self.request, event)
        return event

    def list_etag_parts(self):
        return tuple(read_counters(Event.version_global_keys).values())

    def perform_create(self, serializer):
        self.created_instance = create_event(user=self.request.user, **serializer.validated_data)
        serializer.instance = self.created_instance

    def perform_destroy(self, instance):
        instance.delete()

    @extend_schema(responses=serializers.VersionsSerializer)
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        """Return the event's modification counters, one per resource list."""
        event_id = self.event_permissions.event_id  # the permission class has let the reader in
        body = event_versions(event_id)
        etag = make_etag("versions", event_id, tuple(body.values()))
        response = Response(status=304) if none_match(request, etag) else Response(body)
        response["ETag"] = etag
        return response


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


class EventServiceViewSet(ConditionalMixin, EventScopedViewMixin, viewsets.ModelViewSet):
    """Base for /events/{event_pk}/<service>/: scoped, permission-checked, versioned."""

    permission_classes = [EventServicePermission]
    model = None
    list_name = None

    def get_queryset(self):
        if self.for_schema_only:
            return self.model.objects.none()
        queryset = self.model.objects.filter(event_id=self.event_id)
        if self.reads_publicly():
            return queryset
        limit = self.event_permissions.track_limit(READ, self.service)
        if limit is not None and self.service in TRACK_SCOPED_SERVICES:
            queryset = queryset.filter(**{f"{self.track_lookup}__in": limit})
        return queryset

    track_lookup = "track_id"

    def track_of(self, obj):
        return getattr(obj, self.track_lookup) if self.service in TRACK_SCOPED_SERVICES else None

    def get_serializer_context(self):
        if self.for_schema_only:
            return super().get_serializer_context()
        return {**super().get_serializer_context(), "event_id": self.event_id}

    def etag_variant(self):
        if self.reads_publicly():
            return ("public",)
        limit = self.event_permissions.track_limit(READ, self.service)
        return ("member", None if limit is None else tuple(sorted(limit)))

    def list_etag_parts(self):
        key = counter_key("event", self.event_id, self.model.version_list)
        return tuple(read_counters([key]).values())

    def perform_create(self, serializer):
        with transaction.atomic():
            instance = serializer.save(event_id=int(self.event_id))
            if self.service in TRACK_SCOPED_SERVICES and not self.event_permissions.can(
                CREATE, self.service, track_id=self.track_of(instance)
            ):
                raise PermissionDenied("Your role does not reach this track.")
        self.created_instance = instance


class TrackViewSet(EventServiceViewSet):
    service, model = "track", Track
    serializer_class = serializers.TrackSerializer
    track_lookup = "id"
    filterset_fields = ["name"]
    ordering_fields = ["name", "id"]


class SessionViewSet(EventServiceViewSet):
    service, model = "session", Session
    serializer_class = serializers.SessionSerializer
    filterset_fields = {
        "track": ["exact"],
        "microlocation": ["exact"],
        "speakers": ["exact"],
        "starts_at": ["gte", "lte"],
    }
    ordering_fields = ["starts_at", "title", "id"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("speakers")


class SpeakerViewSet(EventServiceViewSet):
    service, model = "speaker", Speaker
    serializer_class = serializers.SpeakerSerializer
    filterset_fields = ["organisation"]
    ordering_fields = ["name", "id"]


class SponsorViewSet(EventServiceViewSet):
    service, model = "sponsor", Sponsor
    serializer_class = serializers.SponsorSerializer
    filterset_fields = ["level"]
    ordering_fields = ["name", "level", "id"]


class MicrolocationViewSet(EventServiceViewSet):
    service, model = "microlocation", Microlocation
    serializer_class = serializers.MicrolocationSerializer
    filterset_fields = ["floor"]
    ordering_fields = ["name", "floor", "id"]
