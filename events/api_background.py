"""/api/v1/events/{id}/background/: upload (POST) or remove (DELETE) an event's background image.

A view of its own rather than an action of EventViewSet: the size check has
to come before authentication, whose session CSRF check reads the body, and
every refusal of the body has to end as JSON (413 or 400), not Django's page.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from eventsite.versioning import StaleObjectError
from permissions.engine import permissions_for
from permissions.names import UPDATE

from .background import BODY_ERRORS, CHANGED_MEANWHILE, BackgroundError, refusal_of_body, refuse_oversized_body
from .background import upload_from as upload_from_form
from .models import Event
from .services import remove_background, set_background

ANSWER = inline_serializer(
    "BackgroundAnswer",
    {"status": serializers.CharField(), "background_url": serializers.CharField(allow_null=True)},
)
REFUSAL = OpenApiResponse(
    inline_serializer("BackgroundRefusal", {"status": serializers.CharField(), "error": serializers.CharField()}),
    description='{"status": "error", "error": "..."}',
)
UPLOAD = inline_serializer(
    "BackgroundUpload",
    {
        "background": serializers.ImageField(required=False, help_text="A JPEG, PNG or WebP file."),
        "background_data": serializers.CharField(required=False, help_text="Or a data:image/...;base64,... URL."),
    },
)


class EventBackgroundView(APIView):
    """The event's background image: needs the update operation on the service "event"."""

    parser_classes = [MultiPartParser, FormParser]

    def initial(self, request, *args, **kwargs):
        refuse_oversized_body(request)
        super().initial(request, *args, **kwargs)

    def get_event(self):
        perms = permissions_for(self.request.user, self.kwargs["pk"])
        if not perms.can_see_event:
            raise Http404("No such event.")
        if not perms.can(UPDATE, "event"):
            raise PermissionDenied("You may not change this event.")
        return get_object_or_404(Event, pk=self.kwargs["pk"])

    @extend_schema(request=UPLOAD, responses={200: ANSWER, 400: REFUSAL, 413: REFUSAL})
    def post(self, request, pk):
        """Store the image (cropped already), re-encoded as WebP; replaces the previous one."""
        event = self.get_event()
        set_background(event=event, upload=upload_from_form(request.data, request.FILES), by=request.user)
        return Response({"status": "ok", "background_url": event.background.url})

    @extend_schema(request=None, responses={200: ANSWER})
    def delete(self, request, pk):
        """Remove the image (and its file)."""
        event = self.get_event()
        remove_background(event=event, by=request.user)
        return Response({"status": "ok", "background_url": None})

    def handle_exception(self, exc):
        if isinstance(exc, BODY_ERRORS):
            exc = refusal_of_body(exc)
        elif isinstance(exc, ParseError):
            exc = BackgroundError(str(exc.detail))
        elif isinstance(exc, StaleObjectError):
            exc = BackgroundError(CHANGED_MEANWHILE, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, BackgroundError):
            return Response(exc.as_json(), status=exc.status)
        return super().handle_exception(exc)
