"""API-wide pieces: the exception handler that keeps every error JSON, pagination, filtering."""

import codecs
import math
from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator as DjangoPaginator
from django.db import IntegrityError, models
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.rest_framework import FilterSet as DRFFilterSet
from rest_framework import exceptions, filters, negotiation, pagination, parsers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils import json


class PreconditionFailed(exceptions.APIException):
    """A 412; with ``etag``, the answer carries the current ETag (the client may read again, or retry with it)."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource has changed since you last read it (If-Match does not match)."
    default_code = "precondition_failed"

    def __init__(self, detail=None, code=None, *, etag=None):
        super().__init__(detail, code)
        self.etag = etag


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class Paginator(DjangoPaginator):
    """Django's paginator, without the COUNT query when the first page holds the whole list.

    The first page reads one row more than it shows: fewer than that, and the
    rows read are the whole list, so they are its count (most of an event's
    lists fit in one page). Otherwise the list is counted, and the page is
    still the rows already read.
    """

    def page(self, number):
        if str(number) != "1" or "count" in self.__dict__ or not isinstance(self.object_list, models.QuerySet):
            return super().page(number)
        rows = list(self.object_list[: self.per_page + 1])
        if len(rows) > self.per_page:
            del rows[self.per_page :]
        else:
            self.count = len(rows)  # a cached_property: the COUNT is never run
        return self._get_page(rows, 1, self)


class PageNumberPagination(pagination.PageNumberPagination):
    """Pages of 50 by default; clients may ask for up to 200 with ?page_size=."""

    django_paginator_class = Paginator
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


def finite_float(text):
    """A JSON number as a float, refusing one beyond a float's range (``1e999``), which Python reads as infinity."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:30]} is beyond the range of a floating-point number")
    return value


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing as a 400 what it would turn into a 500 or into text nobody sent.

    A body nested too deeply for the decoder, and a number too large for a float: DRF refuses the
    constants ``Infinity`` and ``NaN``, but reads ``1e999`` as infinity, which a text field then
    stores as "inf". And text no UTF-8 can hold: ``"\\ud800"`` (half of a surrogate pair) decodes to a
    string that an error message echoing it could not be written in (a 500 from the renderer).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        reader = codecs.getreader(parsers.get_encoding(parser_context or {}))
        try:
            data = json.load(reader(stream), parse_constant=json.strict_constant, parse_float=finite_float)
            json.dumps(data, ensure_ascii=False).encode()  # in C: every key and string at once
        except UnicodeEncodeError as error:
            raise exceptions.ParseError(
                "JSON parse error - the text holds half of a surrogate pair (such as \\ud800 alone); "
                "send characters as UTF-8 or as whole pairs."
            ) from error
        except ValueError as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from error
        except RecursionError as error:
            raise exceptions.ParseError("JSON parse error - the document is nested too deeply.") from error
        return data


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 filter that compares in UTC: PostgreSQL refuses offsets beyond ±15:59, ISO 8601 allows ±23:59."""

    def filter(self, qs, value):
        return super().filter(qs, value.astimezone(UTC) if value else value)


class StrictBooleanField(forms.NullBooleanField):
    """true / false (or 1 / 0) and nothing else: ``?unread=maybe`` is refused, not read as "no filter"."""

    widget = forms.TextInput
    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise forms.ValidationError("Send true or false.", code="invalid") from None

    def validate(self, value):
        pass


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


MODIFIED_SINCE = "modified_since"


class FilterSet(DRFFilterSet):
    """django-filter's FilterSet for the API: strict booleans, and ``modified_since`` on every model that says when
    a row last changed (``updated_at``, or the model's ``modified_field``)."""

    FILTER_DEFAULTS = {
        **DRFFilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
    }

    @classmethod
    def get_filters(cls):
        filters = super().get_filters()
        model = cls._meta.model
        if model is None or MODIFIED_SINCE in filters:
            return filters
        name = getattr(model, "modified_field", "updated_at")
        if any(field.name == name for field in model._meta.concrete_fields):
            filters[MODIFIED_SINCE] = UtcIsoDateTimeFilter(
                field_name=name,
                lookup_expr="gte",
                help_text="Only rows changed at or after this time (ISO 8601 with an offset). Deleted rows are not "
                "listed: the event's versions and webhooks tell of deletions.",
            )
        return filters


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, not run for a request without query parameters.

    With nothing to filter by, a FilterSet filters nothing (none of ours has
    a default or a required filter), yet building and validating its form
    cost a tenth of a list's answer.
    """

    filterset_base = FilterSet

    def filter_queryset(self, request, queryset, view):
        if not request.query_params:
            return queryset
        return super().filter_queryset(request, queryset, view)


class SearchFilter(filters.SearchFilter):
    """DRF's search, with a value it refuses (a NUL character) a 400 naming the parameter, as every field's error."""

    def get_search_terms(self, request):
        try:
            return super().get_search_terms(request)
        except exceptions.ValidationError as error:
            raise exceptions.ValidationError({self.search_param: error.detail}) from error

    def get_schema_operation_parameters(self, view):
        """``search`` where the view searches only: elsewhere it is an unknown parameter, refused."""
        return super().get_schema_operation_parameters(view) if getattr(view, "search_fields", None) else []


class OrderingFilter(filters.OrderingFilter):
    """DRF's ordering, with a field that is not offered refused (a 400 naming it) instead of ignored."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = [name for name, _label in self.get_valid_fields(queryset, view, {"request": request})]
        terms = [term for term in fields if term]
        invalid = [term for term in terms if term.removeprefix("-") not in valid]
        if invalid:
            raise exceptions.ValidationError(
                {
                    self.ordering_param: [
                        f"Cannot order by {', '.join(invalid)}; choose from {', '.join(valid)} (each may start with -)."
                    ]
                }
            )
        return terms

    def get_schema_operation_parameters(self, view):
        """``ordering`` as an enum of the offered fields, each ascending or descending (-)."""
        fields = [field for field in getattr(view, "ordering_fields", None) or () if field != "__all__"]
        if not fields:
            return super().get_schema_operation_parameters(view)
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Sort by this field (- for descending); several may be joined with commas.",
                "schema": {"type": "string", "enum": [term for field in fields for term in (field, f"-{field}")]},
            }
        ]


UNKNOWN_QUERY_PARAMETER = "Unknown query parameter."
_ALLOWED_QUERY = {}  # (view class, action) -> the query parameters it reads


def allowed_query_parameters(view):
    """Return the query parameters a view's action reads: its filters, ordering and pages on a list, ``format``.

    Views may name more in ``extra_query_parameters`` (all actions) and ``action_query_parameters``
    ({action: names}).
    """
    action = getattr(view, "action", None) or view.request.method.lower()
    key = (type(view), action)
    allowed = _ALLOWED_QUERY.get(key)
    if allowed is None:
        allowed = {api_settings.URL_FORMAT_OVERRIDE, *getattr(view, "extra_query_parameters", ())}
        allowed.update(getattr(view, "action_query_parameters", {}).get(action, ()))
        if action == "list":
            allowed.update(_list_parameters(view))
        allowed.discard(None)
        _ALLOWED_QUERY[key] = allowed = frozenset(allowed)
    return allowed


def _list_parameters(view):
    found = set()
    model = getattr(view, "model", None) or view.get_serializer_class().Meta.model
    for backend_class in getattr(view, "filter_backends", ()):
        backend = backend_class()
        if isinstance(backend, DjangoFilterBackend):
            filterset = backend.get_filterset_class(view, model._default_manager.none())
            if filterset is not None:
                found.update(filterset.base_filters)
        elif isinstance(backend, filters.OrderingFilter):
            found.add(backend.ordering_param)
        elif isinstance(backend, filters.SearchFilter) and getattr(view, "search_fields", None):
            found.add(backend.search_param)
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        found.update({getattr(paginator, "page_query_param", None), getattr(paginator, "page_size_query_param", None)})
    return found


class StrictQueryParametersMixin:
    """Refuse query parameters the action does not read (a 400 naming each) instead of ignoring them.

    A view that checks its query parameters itself sets ``strict_query_parameters = False``.
    """

    strict_query_parameters = True

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.query_params and self.strict_query_parameters:
            allowed = allowed_query_parameters(self)
            unknown = sorted(name for name in request.query_params if name not in allowed)
            if unknown:
                raise exceptions.ValidationError({name: [UNKNOWN_QUERY_PARAMETER] for name in unknown})


NOT_FOUND = "No such object."


def exception_handler(exc, context):
    """Turn model validation errors and out-of-range values into 400s; leave the rest to DRF.

    Django's "No Track matches the given query." (get_object_or_404) becomes the API's one wording of a
    missing object, which names no model.
    """
    if isinstance(exc, Http404) and (not exc.args or "matches the given query" in str(exc.args[0])):
        exc = exceptions.NotFound(NOT_FOUND)
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
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES (this module's JSONParser) as it loads,
    # so importing it above made this module unimportable before DRF's views were.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if isinstance(exc, PreconditionFailed) and exc.etag and response is not None:
        response["ETag"] = exc.etag
    return response
