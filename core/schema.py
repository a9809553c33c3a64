"""The OpenAPI schema: drf-spectacular's AutoSchema plus what it leaves out.

drf-spectacular documents the success answer only; clients (and schemathesis)
also need the errors every operation can give (400, 401, 403, 404, 412, 414,
503, 409 where a view says so, 429 where it is throttled), 304 on conditional GETs, and the If-Match /
If-None-Match request headers. Answers given explicitly with
``@extend_schema(responses=...)`` are kept as they are.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from .conditional import ConditionalBase, ConditionalWriteMixin
from .idempotency import HEADER as IDEMPOTENCY_HEADER

DETAIL = inline_serializer("ErrorDetail", {"detail": serializers.CharField()})
ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description='Invalid input: {"field": ["message", ...]} or {"detail"}.'),
    401: OpenApiResponse(DETAIL, description="Not authenticated: send `Authorization: Token <key>` or a session."),
    403: OpenApiResponse(DETAIL, description="Your role in the event does not allow this."),
    404: OpenApiResponse(DETAIL, description="No such object, or none you may see (also a page past the end)."),
    409: OpenApiResponse(DETAIL, description="Conflicts with another object (e.g. a name already in use)."),
    412: OpenApiResponse(DETAIL, description="If-Match does not name the current ETag: someone changed it."),
    414: OpenApiResponse(
        description="The request line (path and query string) is longer than 8 KiB. The web server answers "
        'before the application: behind the deployment\'s nginx the body is {"detail", "code": "uri_too_long"}.'
    ),
    422: OpenApiResponse(DETAIL, description="This Idempotency-Key was used for another request in the last 24 hours."),
    429: OpenApiResponse(DETAIL, description="Too many of these requests; Retry-After says when to try again."),
    503: OpenApiResponse(DETAIL, description="The database is unavailable; nothing was saved. Retry later."),
}
NOT_MODIFIED = OpenApiResponse(description="If-None-Match names the current ETag; no body.")
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="ETags you hold: 304 if one is current."
)
IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="The ETag you read: 412 unless it is current."
)
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any unique string (up to 255 characters): a repeat of this POST within 24 hours gets the first "
    "answer instead of making a second object; the same key with another body is a 422.",
)
WRITES = {"POST", "PUT", "PATCH"}
PRECONDITIONED = {"PUT", "PATCH", "DELETE"}


# Summaries of the standard actions, for operations that name none (@extend_schema(summary=...) wins).
ACTION_SUMMARIES = {
    "list": "List {the} {plural}",
    "create": "Create {a} {singular}",
    "retrieve": "Read {a} {singular}",
    "update": "Replace {a} {singular}",
    "partial_update": "Change {a} {singular}",
    "destroy": "Delete {a} {singular}",
}


class AutoSchema(SpectacularAutoSchema):
    def get_summary(self):
        """Return a one-line summary: the standard action's ("List the event's tracks") or the method's docstring's."""
        action = getattr(self.view, "action", None)
        model = getattr(self.view, "model", None) or getattr(
            getattr(getattr(self.view, "serializer_class", None), "Meta", None), "model", None
        )
        if action in ACTION_SUMMARIES and model is not None:
            event_scoped = "{event_pk}" in self.path
            # Under /events/{event_pk}/ an "event role" is the event's role.
            singular, plural = (
                str(name).removeprefix("event ") if event_scoped else str(name)
                for name in (model._meta.verbose_name, model._meta.verbose_name_plural)
            )
            return ACTION_SUMMARIES[action].format(
                the="the event's" if event_scoped else "the",
                a="an event's" if event_scoped else ("an" if singular[:1] in "aeiou" else "a"),
                singular=singular,
                plural=plural,
            )
        handler = getattr(self.view, action or self.method.lower(), None)
        first_line = (getattr(handler, "__doc__", None) or "").strip().split("\n")[0]
        return first_line.removesuffix(".") or None

    def _get_response_bodies(self, direction="response"):
        # The one place that sees @extend_schema(responses=...) too (the public
        # get_response_serializers() is replaced by it); drf-spectacular is pinned.
        bodies = super()._get_response_bodies(direction)
        if direction != "response":
            return bodies
        for code, response in self._errors().items():
            if str(code) not in bodies:
                bodies[str(code)] = self._get_response_for_code(response, str(code), direction=direction)
        return bodies

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if isinstance(self.view, ConditionalBase) and self.method == "GET":
            parameters.append(IF_NONE_MATCH)
        elif isinstance(self.view, ConditionalWriteMixin) and self.method in PRECONDITIONED:
            parameters.append(IF_MATCH)
        if self._is_idempotent():
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _is_idempotent(self):
        """Whether this operation's view method honours Idempotency-Key (core.idempotency.idempotent)."""
        action = getattr(self.view, "action", None) or self.method.lower()
        return getattr(getattr(self.view, action, None), "idempotent", False)

    def _errors(self):
        """Return {status: response} for the errors this operation can answer."""
        codes = [414, 503]
        if getattr(self.view, "permission_classes", ()):
            codes += [401, 403, 404]
        if self.method in WRITES or getattr(self.view, "action", None) == "list":
            codes.append(400)  # list filters are validated too
        if isinstance(self.view, ConditionalWriteMixin) and self.method in PRECONDITIONED:
            codes.append(412)
        if self.method in WRITES or self.method == "DELETE":
            codes += getattr(self.view, "extra_write_errors", ())
        if self._is_idempotent():
            codes.append(422)
        if self.view.get_throttles():
            codes.append(429)
        responses = {code: ERRORS[code] for code in sorted(codes)}
        if isinstance(self.view, ConditionalBase) and self.method == "GET":
            responses[304] = NOT_MODIFIED
        return responses
