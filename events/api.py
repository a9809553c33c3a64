"""Events API: events, their services, and the versions endpoint."""

from functools import cached_property

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Sum
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, permissions, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.api import Conflict, JSONParser, PreconditionFailed
from core.conditional import ConditionalListMixin, ConditionalMixin, check_if_match, make_etag
from core.idempotency import IdempotentCreateMixin, idempotent
from core.schema import ACTION_DESCRIPTIONS, ERRORS, IF_MATCH
from core.versioning import StaleObjectError, counter_key, event_resources, event_versions, read_counters
from permissions.drf import EventScopedViewMixin, EventScopedViewSet, EventServicePermission
from permissions.engine import event_limit
from permissions.names import READ, UPDATE

from . import serializers
from .models import Event, Microlocation, Session, Speaker, Sponsor, Track
from .queries import events_of_user
from .schedule import public_sessions
from .services import (
    EventHasOrders,
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
            "problems": drf_serializers.ListField(child=drf_serializers.CharField(), required=False),
        },
    ),
    description="The event lacks what publishing needs (e.g. a ticket); `problems` lists each missing piece. "
    "Or any other invalid input, as everywhere in the API (e.g. a malformed Idempotency-Key): `detail` alone.",
)


def limited_to_token(events, user):
    """Narrow a list of events to the one event the request's token is limited to (if it is)."""
    limit = event_limit(user)
    return events if limit is None else events.filter(pk=limit)


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


class EventViewSet(IdempotentCreateMixin, ConditionalMixin, EventScopedViewMixin, viewsets.ModelViewSet):
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
    search_fields = ["name", "location"]
    ordering = ["starts_at", "id"]

    def get_queryset(self):
        return limited_to_token(Event.objects.all(), self.request.user)

    def get_object(self):
        self.check_object_permissions(self.request, self.event)
        return self.event

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.has_event and not self.for_schema_only:
            context["permissions"] = self.reader_permissions()
        return context

    def list_etag_parts(self):
        # A token limited to one event lists that one only: another list, another tag.
        return (*read_counters(Event.version_global_keys).values(), event_limit(self.request.user))

    def perform_create(self, serializer):
        self.created_instance = create_event(user=self.request.user, **serializer.validated_data)
        serializer.instance = self.created_instance
        # From here on the view answers for the new event as a GET of it does: the 201's ETag is the one
        # that GET gives (made with the creator's permissions in the event, not with the site's).
        self.kwargs[self.event_url_kwarg] = self.created_instance.pk

    def perform_destroy(self, instance):
        try:
            delete_event(event=instance, by=self.request.user)
        except EventHasOrders as error:
            raise Conflict(error.messages[0]) from error

    @state_change_schema(
        "publish",
        "Make a draft public. It needs at least one ticket (the same rules as the wizard); the team is notified.",
        "The event is already published.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def publish(self, request, pk=None):
        return self._change_state(publish_event)

    @state_change_schema(
        "unpublish",
        "Make a published event a draft again: only its team sees it. The team is notified; "
        "the public's sockets of the event close (4403).",
        "The event is not published.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
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
        audience = self.event_permissions.audience  # the public hears the public counters only, as on the socket
        body = event_versions(self.event.pk, audience=audience)
        etag = make_etag("versions", self.event.pk, audience, tuple(body.values()))
        return self._conditional(etag, lambda: Response(body))


@extend_schema_view(list=extend_schema(summary="List your events, with your roles in each"))
class MyEventsViewSet(ConditionalListMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The events you hold a role in, with your roles."""

    serializer_class = serializers.MyEventSerializer
    permission_classes = [permissions.IsAuthenticated]
    schema_tag = "events"
    filterset_fields = ["state"]
    ordering_fields = ["starts_at", "name"]
    search_fields = ["name", "location"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Event.objects.none()
        return limited_to_token(events_of_user(self.request.user), self.request.user)

    def list_etag_parts(self):
        # The user's roles have a counter of their own; the events' rows have
        # versions, summed by one aggregate query (no list is loaded).
        user = self.request.user
        roles = read_counters([counter_key("user", user.pk, "roles")])
        versions = Event.objects.filter(roles__user=user).aggregate(total=Sum("version"), count=Count("id"))
        return (user.pk, *roles.values(), versions["total"], versions["count"], event_limit(user))


class TrackViewSet(EventScopedViewSet):
    """Tracks of an event: the themes its sessions belong to, each with a colour."""

    service, model = "track", Track
    serializer_class = serializers.TrackSerializer
    filterset_fields = ["name"]
    ordering_fields = ["name", "id"]
    search_fields = ["name"]


EXPAND = "expand"


@extend_schema_view(
    **{
        action: extend_schema(
            parameters=[
                OpenApiParameter(
                    EXPAND,
                    OpenApiTypes.STR,
                    enum=list(serializers.SessionSerializer.expandable),
                    description="Show these links as whole objects instead of ids (several: comma-separated): "
                    "speakers, track, microlocation. No extra query per session.",
                )
            ]
        )
        for action in ("list", "retrieve")
    }
)
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
    search_fields = ["title"]
    action_query_parameters = {"list": (EXPAND,), "retrieve": (EXPAND,)}
    # ?expand= names: the field, the service its objects belong to, and their list (for the ETag).
    expandable = serializers.SessionSerializer.expandable

    @property
    def many_ids(self):
        # Expanded speakers come prefetched whole; else only their ids are read (one query per page).
        return () if "speakers" in self.expanded else ("speakers",)

    @cached_property
    def expanded(self):
        """The fields ?expand= asks for, checked: known names, services the reader may read (400 / 403)."""
        if self.for_schema_only or self.request.method not in ("GET", "HEAD"):
            return ()
        names = sorted(
            {name.strip() for value in self.request.query_params.getlist(EXPAND) for name in value.split(",")} - {""}
        )
        unknown = [name for name in names if name not in self.expandable]
        if unknown:
            raise ValidationError(
                {EXPAND: [f"Cannot expand {', '.join(unknown)}; choose from {', '.join(self.expandable)}."]}
            )
        perms = self.event_permissions
        for name in names:
            if not (perms.is_published or perms.can(READ, self.expandable[name][0], anywhere=True)):
                raise PermissionDenied(f"Your role does not read {self.expandable[name][1]}, so cannot expand {name}.")
        return tuple(names)

    def get_queryset(self):
        # The public reads confirmed and cancelled sessions (Session.public_rows, applied by the base); the team
        # (a read grant) sees drafts too. The ETag differs between the two (etag_variant: "public" / "member").
        queryset = super().get_queryset()
        if self.expanded:
            # Each by its ids, a query apiece: joined, PostgreSQL hashed every track and room of the site.
            queryset = queryset.prefetch_related(*self.expanded)
        return queryset

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "expand": self.expanded}

    def _expanded_etag_parts(self):
        """The counters of the expanded lists, and the private fields hidden in them: they shape the answer too."""
        if not self.expanded:
            return ()
        public = self.reads_publicly()
        resources = event_resources()
        keys = [resources[self.expandable[name][1]].key(self.event.pk, public=public) for name in self.expanded]
        permissions = self.reader_permissions()
        hidden = serializers.SpeakerSerializer.hidden_fields(permissions) if "speakers" in self.expanded else ()
        return (self.expanded, self.event_counters(keys), tuple(hidden))

    def list_etag_parts(self):
        return (*super().list_etag_parts(), *self._expanded_etag_parts())

    def object_etag_parts(self, obj):
        return (*super().object_etag_parts(obj), *self._expanded_etag_parts())


class SpeakerViewSet(EventScopedViewSet):
    """Speakers of an event; their email addresses reach only those who may edit speakers.

    The public reads the speakers of public sessions only, as the speaker's page shows them: a speaker booked
    for drafts alone is the team's news.
    """

    service, model = "speaker", Speaker
    serializer_class = serializers.SpeakerSerializer
    filterset_fields = ["organisation"]
    ordering_fields = ["name", "id"]
    search_fields = ["name", "organisation"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.reads_publicly():
            speaking = public_sessions(self.event).filter(speakers=OuterRef("pk"))
            queryset = queryset.filter(Exists(speaking))
        return queryset

    def list_etag_parts(self):
        parts = super().list_etag_parts()
        if self.reads_publicly():  # a session made public or drafted changes who is listed
            parts += self.event_counters([event_resources()["sessions"].key(self.event.pk, public=True)])
        return parts


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
    search_fields = ["name"]


class MicrolocationViewSet(EventScopedViewSet):
    """Rooms of an event (microlocations), where its sessions take place."""

    service, model = "microlocation", Microlocation
    serializer_class = serializers.MicrolocationSerializer
    filterset_fields = ["floor"]
    ordering_fields = ["name", "floor", "id"]
    search_fields = ["name"]
