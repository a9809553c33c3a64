"""Conditional requests for the API: ETag on every GET, 304 on If-None-Match, 412 on If-Match.

ETags are computed from stored version counters (see versioning.py), never
from the response body, so a matching If-None-Match is answered before the
list is loaded or the object serialized. A view supplies two cheap methods:

- ``list_etag_parts()``: the counters (and anything else) the list depends on;
- ``object_etag_parts(obj)``: usually the object's ``version``;

plus ``etag_variant()`` for what makes two users' representations differ.

With the read cache on (core.readcache), a 304 that a token's conditional
GET got is kept, and the same GET (same path and credentials, no query) is
answered with it at once, before the rest of the middleware and the view, while
nothing was written on the host: the answer depends only on what is stored
(the token, its user, the grants, the versions), and any committed write moves
the generation it was kept at. The view says when its 304 may be kept (only
the list and retrieve handlers below, which the ETag alone decides);
``KeptNotModified`` keeps it, core.middleware.KeptNotModifiedMiddleware gives
it. The first such GET goes the whole way.
"""

import functools
import hashlib
import inspect
import time
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.http import HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from rest_framework import status
from rest_framework.response import Response

from . import readcache
from .api import PreconditionFailed, StrictQueryParametersMixin
from .versioning import StaleObjectError


def make_etag(*parts):
    """Return a strong ETag for the parts (any repr-able values)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f'"{digest}"'


def _opaque(tag):
    return tag[2:] if tag.startswith("W/") else tag


def none_match(request, etag):
    """Whether If-None-Match matches the ETag (weak comparison, RFC 9110 13.1.2)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = parse_etags(header)
    return tags == ["*"] or _opaque(etag) in {_opaque(tag) for tag in tags}


def is_fresh(request, etag, last_modified=None):
    """Whether a GET may be answered 304: If-None-Match decides when sent, else If-Modified-Since (RFC 9110 13.2.2)."""
    if request.headers.get("If-None-Match"):
        return none_match(request, etag)
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and last_modified is not None and int(last_modified.timestamp()) <= since


def set_validators(response, etag, last_modified=None, *, cache_control=None):
    """Give a response (a 200 or its 304) its ETag, Last-Modified and Cache-Control."""
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    if cache_control:
        response["Cache-Control"] = cache_control
    return response


def check_if_match(request, current_etag):
    """Raise 412 unless If-Match is absent, ``*``, or names the current ETag (strong comparison)."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    tags = parse_etags(header)
    if tags == ["*"]:
        return
    # The current ETag is strong, and a weak tag keeps its W/ (parse_etags): equal to it means strong and equal.
    if current_etag not in tags:
        raise PreconditionFailed(etag=current_etag)


class KeptNotModified:
    """304s given to a token's conditional GETs, kept per process with the write generation they were made at.

    Kept by (scheme, Host, path, Authorization) with the headers the whole stack gave: the
    view decided from the token, the grants and the versions, all stored, so
    while the generation is the one read before the request's first query,
    the same GET gets the same 304. Not past ``READ_CACHE_SECONDS``, nor past
    the token's expiry.
    """

    MAX = 4_000  # entries of 1-2 KB (their headers), the key's parts at most MAX_KEY_PART characters each
    MAX_KEY_PART = 256

    def __init__(self):
        self._kept = {}

    def answer(self, key, request, generation):
        """The 304 kept for the key, if it was made at ``generation`` (now's) and is still due; else None."""
        kept = self._kept.get(key)
        if kept is None:
            return None
        made_at, deadline, expires, etag, headers = kept
        if made_at != generation or deadline <= time.monotonic() or (expires is not None and expires <= timezone.now()):
            self._kept.pop(key, None)  # (another thread may have let it go already)
            return None
        if not none_match(request, etag):
            return None
        response = HttpResponseNotModified()
        for name, value in headers:
            response[name] = value
        return response

    def keep(self, key, response, generation, expires, deadline):
        """Keep the 304 ``response`` (rendered, its headers final but the request id's) for the key, until
        ``deadline`` (time.monotonic()) and at most READ_CACHE_SECONDS from now."""
        if len(self._kept) >= self.MAX:
            self._kept.clear()
        headers = tuple(response.headers.items())
        deadline = min(deadline, time.monotonic() + readcache.seconds())
        self._kept[key] = (generation, deadline, expires, response["ETag"], headers)

    def clear(self):
        self._kept.clear()


kept_not_modified = KeptNotModified()
# Accept values that DRF's negotiation answers with JSON whatever the view (absent: the same).
_JSON_ACCEPTED = frozenset({"*/*", "application/json"})


@dataclass(frozen=True)
class Keepable:
    """What a view tells the middleware of its 304: the ETag alone decided it, valid until ``expires`` (the
    token's expiry; None: none)."""

    expires: datetime | None


def kept_304_key(request):
    """The key a 304 of this request is kept by, or None when it may not be: not a token's plain conditional
    GET (a query, another representation asked for, a session's cookie)."""
    meta = request.META
    if (
        request.method != "GET"
        or "HTTP_IF_NONE_MATCH" not in meta
        or meta.get("QUERY_STRING")
        or meta.get("HTTP_ACCEPT", "*/*") not in _JSON_ACCEPTED
    ):
        return None
    authorization = meta.get("HTTP_AUTHORIZATION", "")
    if authorization.partition(" ")[0].lower() not in ("token", "bearer"):
        return None
    # The scheme and the Host as sent: an answer the stack would have redirected (HTTPS) or refused (a host
    # not allowed) is never kept, so it is never given for them either.
    key = (request.scheme, meta.get("HTTP_HOST", ""), request.path, authorization)
    # Longer than any of ours (a Host of kilobytes, a path padded with zeros): not kept, so memory stays bounded.
    return None if any(len(part) > KeptNotModified.MAX_KEY_PART for part in key) else key


class ConditionalBase(StrictQueryParametersMixin):
    """The ETag helpers shared by the conditional mixins below (every such view refuses unknown query parameters)."""

    vary_on = ("Cookie", "Authorization")

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code == status.HTTP_304_NOT_MODIFIED and _keeps_304s(
            type(self), getattr(self, "action", None)
        ):
            # The ETag alone decided: core.middleware.KeptNotModifiedMiddleware may give this 304 again.
            request.keep_304 = Keepable(expires=getattr(self.request.auth, "expires_at", None))
        return response

    def etag_variant(self):
        """What makes two readers' representations differ (none here; mixins after this one may say)."""
        parent = getattr(super(), "etag_variant", None)
        return parent() if parent is not None else ()

    def list_etag_parts(self):
        raise NotImplementedError

    def object_etag_parts(self, obj):
        return (type(obj).__name__, obj.pk, obj.version)

    def list_etag(self):
        query = sorted(self.request.query_params.lists())
        return make_etag("list", self.request.path, query, self.list_etag_parts(), self.etag_variant())

    def object_etag(self, obj):
        return make_etag("object", self.object_etag_parts(obj), self.etag_variant())

    def _conditional(self, etag, produce):
        response = Response(status=status.HTTP_304_NOT_MODIFIED) if none_match(self.request, etag) else produce()
        response["ETag"] = etag
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, self.vary_on)
        return response


class ConditionalListMixin(ConditionalBase):
    """GET on a list: 304 before the list is loaded."""

    def list(self, request, *args, **kwargs):
        produce = lambda: super(ConditionalListMixin, self).list(request, *args, **kwargs)  # noqa: E731
        return self._conditional(self.list_etag(), produce)


class ConditionalRetrieveMixin(ConditionalBase):
    """GET on one object: 304 before it is serialized."""

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        serialize = lambda: Response(self.get_serializer(instance).data)  # noqa: E731
        return self._conditional(self.object_etag(instance), serialize)


class ConditionalWriteMixin(ConditionalBase):
    """POST answers 201 with the new object's ETag and Location; PUT, PATCH and DELETE honour If-Match (412)."""

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        # A 201 follows perform_create (a view that overrides it sets created_instance too).
        response["ETag"] = self.object_etag(self.created_instance)
        response["Location"] = self.location_of(self.created_instance)
        return response

    def location_of(self, obj):
        """The absolute URL of an object of this viewset (its detail route)."""
        lookup = self.lookup_url_kwarg or self.lookup_field
        return self.reverse_action("detail", kwargs={**self.kwargs, lookup: obj.pk})

    def perform_create(self, serializer):
        self.created_instance = serializer.save()

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.get_object()
            if "If-Match" not in request.headers and hasattr(instance, "version"):
                # No precondition asked: queue behind a concurrent writer (row lock), then read what
                # it wrote, instead of failing on the version it moved (optimistic locking is for If-Match).
                list(type(instance)._base_manager.select_for_update().filter(pk=instance.pk).values_list("pk"))
                instance.refresh_from_db()
            check_if_match(request, self.object_etag(instance))
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            try:
                self.perform_update(serializer)
            except StaleObjectError as error:
                raise PreconditionFailed() from error  # the API's one wording of a lost race
            instance = serializer.instance
        response = Response(self.get_serializer(instance).data)
        response["ETag"] = self.object_etag(instance)
        return response

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            instance = self.get_object()
            check_if_match(request, self.object_etag(instance))
            if request.headers.get("If-Match") and hasattr(instance, "version"):
                # Claim the version so a concurrent writer with the same If-Match loses.
                claimed = (
                    type(instance)
                    ._base_manager.filter(pk=instance.pk, version=instance.version)
                    .update(version=F("version") + 1)
                )
                if not claimed:
                    raise PreconditionFailed()
            self.perform_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConditionalMixin(ConditionalListMixin, ConditionalRetrieveMixin, ConditionalWriteMixin):
    """All of the above, for a ModelViewSet."""


# The GET handlers whose answer is the ETag's alone to decide (a view that overrides one does more: not kept).
_GET_HANDLERS = {"list": ConditionalListMixin.list, "retrieve": ConditionalRetrieveMixin.retrieve}


@functools.cache
def _keeps_304s(cls, action):
    """Whether the view's GET ``action`` is one of the handlers above, with no check or count of its own before it."""
    handler = _GET_HANDLERS.get(action)
    # unwrap(): a schema decorator (drf-spectacular's extend_schema_view) gives the class a wrapped copy.
    return (
        handler is not None
        and inspect.unwrap(getattr(cls, action)) is handler
        and cls.initial is StrictQueryParametersMixin.initial
        and not cls.throttle_classes
    )
