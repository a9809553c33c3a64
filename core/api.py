"""API-wide pieces: the exception handler that keeps every error JSON, pagination, filtering."""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, negotiation, pagination, parsers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource has changed since you last read it (If-Match does not match)."
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class PageNumberPagination(pagination.PageNumberPagination):
    """Pages of 50 by default; clients may ask for up to 200 with ?page_size=."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class FirstRendererNegotiation(negotiation.BaseContentNegotiation):
    """Answer with the view's first renderer whatever the Accept header says.

    For views that return their own bytes (calendar feeds, XML): clients send
    ``Accept: text/calendar`` or worse, and a 406 would help none of them.
    """

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a body nested too deeply for the decoder refused as a 400 (not a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise exceptions.ParseError("JSON parse error - the document is nested too deeply.") from error


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 filter that compares in UTC: PostgreSQL refuses offsets beyond ±15:59, ISO 8601 allows ±23:59."""

    def filter(self, qs, value):
        return super().filter(qs, value.astimezone(UTC) if value else value)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, not run for a request without query parameters.

    With nothing to filter by, a FilterSet filters nothing (none of ours has
    a default or a required filter), yet building and validating its form
    cost a tenth of a list's answer.
    """

    def filter_queryset(self, request, queryset, view):
        if not request.query_params:
            return queryset
        return super().filter_queryset(request, queryset, view)


def exception_handler(exc, context):
    """Turn model validation errors and out-of-range values into 400s; leave the rest to DRF."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        # A unique value taken by a concurrent writer between the check and the write: the transaction
        # rolled back, so nothing was saved; the client may retry with another value.
        return Response(
            {
                "detail": "This conflicts with something saved at the same moment (a value that must be unique); "
                "nothing was saved.",
                "code": "conflict",
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, OverflowError):
        # A number or date the database driver cannot convert (an id beyond 64 bits on SQLite,
        # a datetime that falls before year 1 in UTC): the client sent it, so it is a 400.
        return Response({"detail": "A value in the request is out of range."}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
