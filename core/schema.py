"""The OpenAPI schema: drf-spectacular's AutoSchema plus what it leaves out.

drf-spectacular documents the success answer only; clients (and schemathesis)
also need the errors every operation can give (400, 401, 403, 404, 412, 414,
503, 409 where a view says so, 429 where it is throttled), all in the one
``Error`` shape, 304 on conditional GETs, the If-Match / If-None-Match request
headers and the ETag / Location / Retry-After response headers. Answers given
explicitly with ``@extend_schema(responses=...)`` are kept as they are.

Generated clients are the measure: every operation has a tag per resource, a
summary and a public description (never a base class's docstring), path ids
are integers, and request bodies are JSON (multipart only where a file is sent).
"""

import inspect
import re

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_serializer
from rest_framework import serializers

from .api import StrictQueryParametersMixin
from .conditional import ConditionalBase, ConditionalWriteMixin
from .idempotency import HEADER as IDEMPOTENCY_HEADER


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):
    """Every error of the API: ``detail`` for the request as a whole, or one key per refused field.

    A refused field maps to a list of messages (``{"name": ["This field is required."]}``),
    or, for a list of objects, to the errors of each by position; ``non_field_errors`` holds
    errors of several fields together. Other keys may accompany ``detail`` (e.g. ``problems``).
    """

    detail = serializers.CharField(required=False, help_text="What went wrong, for people.")


ERROR = ErrorSerializer
ERRORS = {
    400: OpenApiResponse(
        ERROR,
        description='Invalid input: {"field": ["message", ...], ...}, all refused fields (or query parameters) '
        'at once, or {"detail"}.',
    ),
    401: OpenApiResponse(ERROR, description="Not authenticated: send `Authorization: Token <key>` or a session."),
    403: OpenApiResponse(ERROR, description="Your role in the event does not allow this."),
    404: OpenApiResponse(ERROR, description="No such object, or none you may see (also a page past the end)."),
    409: OpenApiResponse(ERROR, description="Conflicts with another object (e.g. a name already in use)."),
    412: OpenApiResponse(
        ERROR, description="If-Match does not name the current ETag: someone changed it. The answer's ETag is current."
    ),
    414: OpenApiResponse(
        description="The request line (path and query string) is longer than 8 KiB. The web server answers "
        'before the application: behind the deployment\'s nginx the body is {"detail", "code": "uri_too_long"}.'
    ),
    422: OpenApiResponse(ERROR, description="This Idempotency-Key was used for another request in the last 24 hours."),
    429: OpenApiResponse(ERROR, description="Too many of these requests; Retry-After says when to try again."),
    503: OpenApiResponse(ERROR, description="The database is unavailable; nothing was saved. Retry later."),
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
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The representation's version: send it back in If-None-Match (304) or If-Match (412).",
    response=[200, 201, 304, 412],
)
LOCATION = OpenApiParameter(
    "Location", OpenApiTypes.URI, OpenApiParameter.HEADER, description="The new object's URL.", response=[201]
)
RETRY_AFTER = OpenApiParameter(
    "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, description="Seconds to wait.", response=[429]
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


# Descriptions of the standard actions, after the view's own docstring.
ACTION_DESCRIPTIONS = {
    "list": "Pages of 50 (`page`, `page_size` up to 200); the filters and `ordering` below narrow and sort it. "
    "Unknown query parameters are refused (400).",
    "create": "Answers 201 with the new object, its `ETag` and its `Location`. Unknown or read-only fields are "
    "refused (400), every refused field in one answer.",
    "retrieve": "Answers with an `ETag`; send it in `If-None-Match` to get a 304 while it is unchanged.",
    "update": "Send every writable field. With `If-Match`, a 412 (carrying the current `ETag`) "
    "if it changed meanwhile.",
    "partial_update": "Send only the fields to change (`null` clears a nullable link). With `If-Match`, "
    "a 412 (carrying the current `ETag`) if it changed meanwhile.",
    "destroy": "With `If-Match`, a 412 if it changed meanwhile.",
}
PATH_ID = re.compile(r"{(\w+)}")


def _own_doc(obj):
    """The docstring written on this class or function itself (never an inherited one), cleaned; or ""."""
    doc = obj.__dict__.get("__doc__") if isinstance(obj, type) else getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if doc else ""


class AutoSchema(SpectacularAutoSchema):
    def get_tags(self):
        """One tag per resource: the view's ``schema_tag``, else the event's list, else the path's first part."""
        tag = getattr(self.view, "schema_tag", None)
        if tag:
            return [tag]
        model = getattr(self.view, "model", None)
        if "{event_pk}" in self.path and getattr(model, "version_list", None):
            return [model.version_list]
        parts = [part for part in self.path.split("/") if part and not part.startswith("{")]
        return [parts[2] if len(parts) > 2 else "api"]

    def _map_basic_serializer(self, serializer, direction):
        # A component's description is its serializer's own docstring, never a base class's (internal notes).
        schema = super()._map_basic_serializer(serializer, direction)
        cls = serializer if isinstance(serializer, type) else type(serializer)
        if not cls.__dict__.get("__doc__"):
            schema.pop("description", None)
        return schema

    def get_description(self):
        """A public description: the handler's own docstring if it has one, else the view's, with the action's."""
        action = getattr(self.view, "action", None)
        handler = getattr(type(self.view), action or self.method.lower(), None)
        # A handler's docstring counts only where it is written in the view's own module (not a shared mixin).
        handler_doc = ""
        if handler is not None and getattr(handler, "__module__", None) == type(self.view).__module__:
            handler_doc = _own_doc(handler)
        view_doc = next(
            (_own_doc(cls) for cls in type(self.view).__mro__ if cls.__module__ == type(self.view).__module__),
            "",
        )
        text = handler_doc or view_doc
        extra = ACTION_DESCRIPTIONS.get(action, "")
        return " ".join(part for part in (text, extra) if part)

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
        # Ids in paths are integers (the routes match digits only).
        named = {parameter.name for parameter in parameters if isinstance(parameter, OpenApiParameter)}
        for name in PATH_ID.findall(self.path):
            if name not in named and (name == "id" or name.endswith("_pk")):
                parameters.append(OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH))
        if isinstance(self.view, ConditionalBase) and self.method in {"GET", "PUT", "PATCH", "POST"}:
            parameters.append(ETAG)
        if isinstance(self.view, ConditionalWriteMixin) and getattr(self.view, "action", None) == "create":
            parameters.append(LOCATION)
        if self.view.get_throttles():
            parameters.append(RETRY_AFTER)
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
        strict_query = isinstance(self.view, StrictQueryParametersMixin) and self.view.strict_query_parameters
        if self.method in WRITES or getattr(self.view, "action", None) == "list" or strict_query:
            codes.append(400)  # list filters are validated too, and any query parameter an operation does not read
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


def postprocess_schema(result, generator, request, public):
    """Give the Error component its field keys: any other key is a refused field (its messages, or nested errors)."""
    error = result.get("components", {}).get("schemas", {}).get("Error")
    if error is not None:
        error["additionalProperties"] = {}
    _document_expansions(result, generator)
    # An operation open to anyone says so (security: []), so clients call it without credentials.
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "operationId" in operation:
                operation.setdefault("security", [])
    return result


def _document_expansions(result, generator):
    """A field a view may expand (``expandable``: ?expand=) is an id or the whole object in its component."""
    schemas = result.get("components", {}).get("schemas", {})
    for endpoint in getattr(generator, "endpoints", None) or ():
        view = getattr(endpoint[3], "cls", None)
        expandable = getattr(view, "expandable", None)
        component = schemas.get(view.serializer_class.__name__.removesuffix("Serializer")) if expandable else None
        if component is None:
            continue
        for name, (*_names, serializer) in expandable.items():
            field = component["properties"].get(name)
            if field is None or "oneOf" in field.get("items", field):
                continue
            whole = {"$ref": f"#/components/schemas/{serializer.__name__.removesuffix('Serializer')}"}
            if field.get("type") == "array":
                field["items"] = {"oneOf": [field["items"], whole]}
            else:
                nullable = field.pop("nullable", False)
                component["properties"][name] = {"oneOf": [field, whole], **({"nullable": True} if nullable else {})}
