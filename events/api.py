"""Events API: events, their services, and the versions endpoint."""

from django.db import transaction
from django.db.models import Count, Sum
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, permissions, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.api import Conflict, JSONParser, PreconditionFailed
from core.conditional import ConditionalListMixin, ConditionalMixin, check_if_match, make_etag
from core.schema import ACTION_DESCRIPTIONS, ERRORS, IF_MATCH
from core.versioning import StaleObjectError, counter_key, event_versions, read_counters
from permissions.drf import EventScopedViewMixin, EventScopedViewSet, EventServicePermission
from permissions.names import UPDATE

from . import serializers
from .models import Event, Microlocation, Session, Speaker, Sponsor, Track
from .queries import events_of_user
from .services import (
    EventStateError,
    NotReadyError,
    create_event,
    delete_event,
    publish_event,
    unpublish_event,
)

NOT_READY = OpenApiResponse(
    inline_serializer(
        "PublishProblems",
        {
            "detail": drf_serializers.CharField(),
            "problems": drf_serializers.ListField(child=drf_serializers.CharField()),
        },
    ),
    description="The event lacks what publishing needs (e.g. a ticket); `problems` lists each missing piece.",
)


def state_change_schema(verb, description, conflict):
    """The schema of POST /events/{id}/<verb>/: no body, If-Match, the event or why not."""
    responses = {200: serializers.EventSerializer, 409: OpenApiResponse(ERRORS[409].response, description=conflict)}
    if verb == "publish":
        responses[400] = NOT_READY
    responses[412] = ERRORS[412]
    return extend_schema(
        summary=f"{verb.capitalize()} the event",
        description=description,
        request=None,
        parameters=[IF_MATCH],
        responses=responses,
    )


class EventViewSet(ConditionalMixin, EventScopedViewMixin, viewsets.ModelViewSet):
    """Events. Listing all is for staff; see /api/v1/me/events/ for your own."""

    # The event itself is the service "event", asked of the engine like every other;
    # the list and create (no event in the URL) are asked of the site (staff read, anyone creates).
    service = "event"
    event_url_kwarg = "pk"
    permission_classes = [EventServicePermission]
    # Publishing and unpublishing change the event: they need update on "event", like PATCH.
    operations = {"publish": UPDATE, "unpublish": UPDATE}

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

    def perform_destroy(self, instance):
        delete_event(event=instance, by=self.request.user)

    @state_change_schema(
        "publish",
        "Make a draft public. It needs at least one ticket (the same rules as the wizard); the team is notified.",
        "The event is already published.",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._change_state(publish_event)

    @state_change_schema(
        "unpublish",
        "Make a published event a draft again: only its team sees it. The team is notified; "
        "the public's sockets of the event close (4403).",
        "The event is not published.",
    )
    @action(detail=True, methods=["post"])
    def unpublish(self, request, pk=None):
        return self._change_state(unpublish_event)

    def _change_state(self, verb):
        """Run a state verb of events.services on the event, with If-Match honoured; answer the event."""
        event = self.get_object()
        with transaction.atomic():
            if "If-Match" in self.request.headers:
                check_if_match(self.request, self.object_etag(event))
            else:
                # No precondition: queue behind a concurrent writer, then act on what it wrote.
                list(Event.objects.select_for_update().filter(pk=event.pk).values_list("pk"))
                event.refresh_from_db()
            try:
                verb(event=event, by=self.request.user)
            except StaleObjectError as error:
                raise PreconditionFailed() from error
            except EventStateError as error:
                raise Conflict(error.messages[0]) from error
            except NotReadyError as error:
                body = {"detail": " ".join(error.messages), "problems": error.messages}
                return Response(body, status=status.HTTP_400_BAD_REQUEST)
        response = Response(self.get_serializer(event).data)
        response["ETag"] = self.object_etag(event)
        return response

    @extend_schema(responses=serializers.VersionsSerializer)
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        """Return the event's modification counters, one per resource list."""
        body = event_versions(self.event.pk)
        etag = make_etag("versions", self.event.pk, tuple(body.values()))
        return self._conditional(etag, lambda: Response(body))


@extend_schema_view(list=extend_schema(summary="List your events, with your roles in each"))
class MyEventsViewSet(ConditionalListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The events you hold a role in, with your roles."""

    serializer_class = serializers.MyEventSerializer
    permission_classes = [permissions.IsAuthenticated]
    schema_tag = "events"
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
    """Tracks of an event: the themes its sessions belong to, each with a colour."""

    service, model = "track", Track
    serializer_class = serializers.TrackSerializer
    filterset_fields = ["name"]
    ordering_fields = ["name", "id"]


class SessionViewSet(EventScopedViewSet):
    """Sessions of an event: the public reads confirmed and cancelled ones, the team drafts too."""

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
    """Speakers of an event; their email addresses reach only those who may edit speakers."""

    service, model = "speaker", Speaker
    serializer_class = serializers.SpeakerSerializer
    filterset_fields = ["organisation"]
    ordering_fields = ["name", "id"]


MULTIPART_SPONSOR = {"multipart/form-data": serializers.SponsorSerializer}


@extend_schema_view(
    **{
        action: extend_schema(
            request=MULTIPART_SPONSOR,
            description="Sponsors of an event, with their logos (re-encoded on upload). The logo is a file, so the "
            "body is multipart/form-data; JSON without a logo is taken too. " + ACTION_DESCRIPTIONS[action],
        )
        for action in ("create", "update", "partial_update")
    }
)
class SponsorViewSet(EventScopedViewSet):
    """Sponsors of an event, with their logos (re-encoded on upload)."""

    service, model = "sponsor", Sponsor
    serializer_class = serializers.SponsorSerializer
    # A logo is a file: multipart as well as JSON (without a logo).
    parser_classes = [JSONParser, MultiPartParser]
    filterset_fields = ["level"]
    ordering_fields = ["name", "level", "id"]


class MicrolocationViewSet(EventScopedViewSet):
    """Rooms of an event (microlocations), where its sessions take place."""

    service, model = "microlocation", Microlocation
    serializer_class = serializers.MicrolocationSerializer
    filterset_fields = ["floor"]
    ordering_fields = ["name", "floor", "id"]
