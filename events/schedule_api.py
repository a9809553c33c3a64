"""The schedule's feeds under /e/<slug>/: iCal, frab XML and JSON, the plain JSON, per-session and personal iCal.

Each goes through the API door (public read of a published event; the team
previews a draft) and answers conditional GETs from the stored counters: the
door's one query loads the event, one more reads the counters, and a
matching If-None-Match (or If-Modified-Since) gets its 304 before any session
is read. Every feed takes the page's filters (track, room, day) and answers
400 with a JSON ``detail`` for anything else.
"""

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotModified
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from core.api import FirstRendererNegotiation
from core.conditional import ConditionalBase, is_fresh, make_etag, set_validators
from core.forms import MAX_ID
from permissions.drf import EventScopedViewMixin, EventServicePermission

from .exports import frab, ical, plain
from .models import Session
from .queries import personal_schedule
from .schedule import FilterError, load_schedule, parse_filter, schedule_state

# Public feeds may sit in shared caches for a minute; then they are revalidated (a cheap 304).
PUBLIC_CACHE = "public, max-age=60, must-revalidate"
PRIVATE_CACHE = "private, max-age=60, must-revalidate"
ICAL, XML, JSON = "text/calendar; charset=utf-8", "application/xml; charset=utf-8", "application/json"

FILTER_PARAMETERS = [
    OpenApiParameter("track", OpenApiTypes.INT, many=True, description="Only sessions of these track ids."),
    OpenApiParameter("room", OpenApiTypes.INT, many=True, description="Only sessions in these room ids."),
    OpenApiParameter("day", OpenApiTypes.DATE, many=True, description="Only sessions starting on these local days."),
]
BAD_FILTER = OpenApiResponse(
    OpenApiTypes.OBJECT, description='An unknown parameter or a bad filter: {"detail": "..."}.'
)


class BadFilter(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The schedule cannot be filtered like that."
    default_code = "invalid_filter"


SLUG = OpenApiParameter(
    "slug", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$", description="The event's slug."
)


def feed_schema(operation_id, summary, media_type, description, *, extra=()):
    """The OpenAPI entry of a feed: its filters, its media type, its 400."""
    body = OpenApiTypes.OBJECT if media_type == JSON else OpenApiTypes.STR
    return extend_schema_view(
        get=extend_schema(
            operation_id=operation_id,
            tags=["schedule"],
            summary=summary,
            description=description,
            parameters=[SLUG, *extra, *FILTER_PARAMETERS],
            responses={(200, media_type.split(";")[0]): body, 400: BAD_FILTER},
        )
    )


class ScheduleFeedView(ConditionalBase, EventScopedViewMixin, APIView):
    """Base of the feeds: filter, counters, 304 or the rendered bytes."""

    service = "session"
    event_slug_kwarg = "slug"
    permission_classes = [EventServicePermission]
    renderer_classes = [JSONRenderer]  # errors only; feeds return their own bytes
    content_negotiation_class = FirstRendererNegotiation
    strict_query_parameters = False  # the feeds name their filters in their own refusals (BadFilter)
    content_type = None
    name = None

    def get(self, request, *args, **kwargs):
        event = self.event
        try:
            schedule_filter = parse_filter(request.query_params, event)
        except FilterError as error:
            raise BadFilter(str(error)) from error
        counters, last_modified = schedule_state(event)
        last_modified = max([last_modified, *self.modified_times()])
        etag = make_etag(self.name, event.pk, counters, schedule_filter.as_query(), self.variant(), settings.SITE_URL)
        cache_control = self.cache_control()
        if is_fresh(request, etag, last_modified):
            return set_validators(HttpResponseNotModified(), etag, last_modified, cache_control=cache_control)
        try:
            schedule = load_schedule(event, schedule_filter, sessions=self.sessions())
        except FilterError as error:
            raise BadFilter(str(error)) from error
        response = HttpResponse(self.render(schedule, counters), content_type=self.content_type)
        return set_validators(response, etag, last_modified, cache_control=cache_control)

    def sessions(self):
        """Narrow the schedule to these sessions (None: all public ones)."""
        return None

    def variant(self):
        """What else than the counters and the filter makes two answers differ."""
        return ()

    def modified_times(self):
        return ()

    def cache_control(self):
        return PUBLIC_CACHE if self.event.is_published else PRIVATE_CACHE

    def render(self, schedule, counters):
        raise NotImplementedError


@feed_schema(
    "schedule_ical", "The schedule as iCalendar", ICAL, "Subscribe to it: stable UIDs, SEQUENCE, STATUS:CANCELLED."
)
class ScheduleICalView(ScheduleFeedView):
    content_type, name = ICAL, "ical"

    def render(self, schedule, counters):
        return ical.calendar(schedule, name=schedule.event.name)


@feed_schema("schedule_frab_xml", "The schedule as frab XML", XML, "Valid against the c3voc schedule.xml.xsd.")
class ScheduleXMLView(ScheduleFeedView):
    content_type, name = XML, "frab-xml"

    def render(self, schedule, counters):
        return frab.frab_xml(schedule, counters)


@feed_schema("schedule_frab_json", "The schedule as frab JSON", JSON, "Valid against the c3voc schedule.json schema.")
class ScheduleFrabJSONView(ScheduleFeedView):
    content_type, name = JSON, "frab-json"

    def render(self, schedule, counters):
        return frab.frab_json(schedule, counters)


@feed_schema(
    "schedule_data",
    "The schedule as plain JSON",
    JSON,
    "Days, tracks, rooms and sessions: what the schedule page shows.",
)
class ScheduleDataView(ScheduleFeedView):
    content_type, name = JSON, "plain-json"

    def render(self, schedule, counters):
        return plain.schedule_json(schedule, counters)


@feed_schema(
    "session_ical",
    "One session as iCalendar",
    ICAL,
    "The session alone, with the UID it has in the schedule's feed.",
    extra=[OpenApiParameter("session_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="A public session.")],
)
class SessionICalView(ScheduleFeedView):
    content_type, name = ICAL, "session-ical"

    def sessions(self):
        if self.kwargs["session_id"] > MAX_ID:
            raise Http404("No such session.")
        return Session.objects.filter(event=self.event, pk=self.kwargs["session_id"])

    def variant(self):
        return (self.kwargs["session_id"],)

    def render(self, schedule, counters):
        if not schedule.sessions:
            raise Http404("No such session.")
        return ical.calendar(schedule, name=schedule.sessions[0].title)


@feed_schema(
    "personal_schedule_ical",
    "A visitor's personal schedule as iCalendar",
    ICAL,
    "The starred sessions behind an unguessable token (POST /e/{slug}/schedule/my/ makes one); 404 once revoked.",
    extra=[OpenApiParameter("token", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$")],
)
class PersonalICalView(ScheduleFeedView):
    content_type, name = ICAL, "personal-ical"

    def get(self, request, *args, **kwargs):
        self.personal = personal_schedule(self.event, self.kwargs["token"])
        if self.personal is None:
            raise Http404("No such personal schedule (it may have been revoked).")
        return super().get(request, *args, **kwargs)

    def sessions(self):
        return self.personal.sessions.all()

    def variant(self):
        return (self.personal.pk, self.personal.updated_at.isoformat())

    def modified_times(self):
        return (self.personal.updated_at,)

    def cache_control(self):
        return PRIVATE_CACHE

    def render(self, schedule, counters):
        return ical.calendar(schedule, name=f"{schedule.event.name} (my schedule)")
