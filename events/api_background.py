"""/api/v1/events/{id}/background/: upload (POST) or remove (DELETE) an event's background image.

A view of its own rather than an action of EventViewSet: the size check has
to come before authentication, whose session CSRF check reads the body, and
every refusal of the body has to end as JSON (413 or 400), not Django's page.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.idempotency import idempotent
from core.schema import ERROR
from core.versioning import StaleObjectError
from permissions.drf import EventScopedViewMixin, EventServicePermission
from permissions.names import UPDATE

from .background import BODY_ERRORS, BackgroundError, refusal_of_body, refuse_oversized_body, upload_from
from .services import remove_background, set_background

ANSWER = inline_serializer(
    "BackgroundAnswer",
    {"status": serializers.CharField(), "background_url": serializers.CharField(allow_null=True)},
)
REFUSAL = OpenApiResponse(ERROR, description="The image or the body is refused; `detail` says why.")
UPLOAD = inline_serializer(
    "BackgroundUpload",
    {
        "background": serializers.ImageField(required=False, help_text="A JPEG, PNG or WebP file."),
        "background_data": serializers.CharField(required=False, help_text="Or a data:image/...;base64,... URL."),
    },
)


class EventBackgroundView(EventScopedViewMixin, APIView):
    """The event's background image: needs the update operation on the service "event".

    The organizer pages' cropper posts here too, with the session and a CSRF token.
    """

    service = "event"
    operations = {"POST": UPDATE, "DELETE": UPDATE}
    permission_classes = [EventServicePermission]
    parser_classes = [MultiPartParser, FormParser]

    def initial(self, request, *args, **kwargs):
        refuse_oversized_body(request)
        super().initial(request, *args, **kwargs)

    @extend_schema(request={"multipart/form-data": UPLOAD}, responses={200: ANSWER, 400: REFUSAL, 413: REFUSAL})
    @idempotent
    def post(self, request, event_pk):
        """Store the image (cropped already), re-encoded as WebP; replaces the previous one."""
        set_background(event=self.event, upload=upload_from(request.data, request.FILES), by=request.user)
        return Response({"status": "ok", "background_url": self.event.background.url})

    @extend_schema(request=None, responses={200: ANSWER})
    def delete(self, request, event_pk):
        """Remove the image (and its file)."""
        remove_background(event=self.event, by=request.user)
        return Response({"status": "ok", "background_url": None})

    def handle_exception(self, exc):
        if isinstance(exc, BODY_ERRORS):
            exc = refusal_of_body(exc)
        elif isinstance(exc, ParseError):
            exc = BackgroundError(str(exc.detail))
        elif isinstance(exc, StaleObjectError):
            exc = BackgroundError(exc.user_message, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, BackgroundError):
            return Response(exc.as_json(), status=exc.status)
        return super().handle_exception(exc)
