"""The public schedule pages under /e/<slug>/ (schedule, session, speaker) and the personal feed's JSON endpoints.

All go through the HTML door with ``operation = None``: a published event's
pages are public, a draft is a 404 to the public (its team previews it).
The schedule page renders a plain list that works without JavaScript;
static/js/schedule.js turns it into the grid (the list on phones), stars,
the personal feed, the time-zone switch, the now marker and live updates.
"""

import json
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View, generic

from core.forms import MAX_ID
from core.links import absolute_reverse, absolute_url
from core.throttling import throttle_posts
from permissions.mixins import EventPermissionMixin

from . import services
from .models import Speaker
from .queries import personal_schedule
from .schedule import FilterError, ScheduleFilter, event_days, load_schedule, parse_filter, public_sessions

GONE = "No such personal schedule (it may have been revoked)."
FEEDS = [
    ("iCal", "public:schedule-ics"),
    ("frab XML", "public:schedule-xml"),
    ("frab JSON", "public:schedule-json"),
    ("JSON", "public:schedule-data"),
]


class PublicPageMixin(EventPermissionMixin):
    """A public page of an event, found by the slug of the URL."""

    event_slug_kwarg = "slug"


def feed_links(event, schedule_filter):
    """Return [(label, absolute URL)] of the schedule's feeds under the filter the page shows."""
    query = urlencode(schedule_filter.as_query())
    return [(label, absolute_reverse(name, event.slug) + (f"?{query}" if query else "")) for label, name in FEEDS]


class ScheduleView(PublicPageMixin, generic.TemplateView):
    """The schedule: a list of the days' sessions; the script renders the grid and keeps it live."""

    template_name = "events/schedule.html"

    def get(self, request, *args, **kwargs):
        try:
            schedule_filter = parse_filter(request.GET, self.event)
            schedule = load_schedule(self.event, schedule_filter)
        except FilterError as error:
            context = self.get_context_data(error=str(error), schedule_filter=ScheduleFilter())
            return self.render_to_response(context, status=400)
        return self.render_to_response(self.get_context_data(schedule=schedule, schedule_filter=schedule_filter))

    def get_context_data(self, **kwargs):
        event, schedule_filter = self.event, kwargs["schedule_filter"]
        schedule = kwargs.get("schedule")
        data_url = reverse("public:schedule-data", args=[event.slug])
        query = urlencode(schedule_filter.as_query())
        return super().get_context_data(
            tracks=schedule.tracks if schedule else list(event.tracks.all()),
            rooms=schedule.rooms if schedule else list(event.microlocations.all()),
            days=event_days(event),
            feeds=feed_links(event, schedule_filter),
            data_url=data_url + (f"?{query}" if query else ""),
            **kwargs,
        )


class SessionPageView(PublicPageMixin, generic.TemplateView):
    """One public session: when, where, who, and its calendar file."""

    template_name = "events/session_page.html"

    def get_context_data(self, **kwargs):
        if self.kwargs["session_id"] > MAX_ID:
            raise Http404("No such session.")
        session = get_object_or_404(
            public_sessions(self.event).select_related("track", "microlocation").prefetch_related("speakers"),
            pk=self.kwargs["session_id"],
        )
        return super().get_context_data(session=session, **kwargs)


class SpeakerPageView(PublicPageMixin, generic.TemplateView):
    """A speaker and their public sessions; a speaker with none is not public."""

    template_name = "events/speaker_page.html"

    def get_context_data(self, **kwargs):
        if self.kwargs["speaker_id"] > MAX_ID:
            raise Http404("No such speaker.")
        speaker = get_object_or_404(Speaker.objects.filter(event=self.event), pk=self.kwargs["speaker_id"])
        sessions = list(public_sessions(self.event).filter(speakers=speaker).select_related("track", "microlocation"))
        if not sessions:
            raise Http404("No such speaker.")
        return super().get_context_data(speaker=speaker, sessions=sessions, **kwargs)


def _session_ids(request):
    """Return the ``sessions`` list of a JSON body, or raise ValidationError."""
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ValidationError({"sessions": 'Send a JSON object: {"sessions": [ids]}.'}) from None
    if not isinstance(body, dict) or "sessions" not in body:
        raise ValidationError({"sessions": 'Send a JSON object: {"sessions": [ids]}.'})
    return body["sessions"]


def _refused(error):
    return JsonResponse({key: " ".join(messages) for key, messages in error.message_dict.items()}, status=400)


def _personal_urls(event, token):
    feed = absolute_url(reverse("public:personal-ics", args=[event.slug, token]))
    return {
        "url": feed,
        "webcal_url": "webcal://" + feed.split("://", 1)[1],
        "manage_url": absolute_url(reverse("public:personal-manage", args=[event.slug, token])),
    }


@method_decorator(throttle_posts("personal_schedules"), name="dispatch")
class PersonalScheduleCreateView(PublicPageMixin, View):
    """POST {"sessions": [ids]} (JSON, CSRF token): make a personal feed; its URL is answered once."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            token, personal = services.create_personal_schedule(event=self.event, session_ids=_session_ids(request))
        except ValidationError as error:
            return _refused(error)
        sessions = sorted(personal.sessions.values_list("pk", flat=True))
        return JsonResponse({**_personal_urls(self.event, token), "sessions": sessions}, status=201)


class PersonalScheduleManageView(PublicPageMixin, View):
    """PUT {"sessions": [ids]} replaces a personal feed's sessions (same URL); DELETE revokes it."""

    http_method_names = ["put", "delete"]

    def put(self, request, *args, **kwargs):
        personal = personal_schedule(self.event, self.kwargs["token"])
        if personal is None:
            return JsonResponse({"detail": GONE}, status=404)
        personal.event = self.event
        try:
            services.update_personal_schedule(personal=personal, session_ids=_session_ids(request))
        except ValidationError as error:
            return _refused(error)
        sessions = sorted(personal.sessions.values_list("pk", flat=True))
        return JsonResponse({**_personal_urls(self.event, self.kwargs["token"]), "sessions": sessions})

    def delete(self, request, *args, **kwargs):
        personal = personal_schedule(self.event, self.kwargs["token"])
        if personal is None:
            return JsonResponse({"detail": GONE}, status=404)
        services.revoke_personal_schedule(personal=personal)
        return HttpResponse(status=204)
