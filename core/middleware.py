"""Middleware of our own: a lost database answers 503 (never a 500 traceback); the Permissions-Policy header;
kept 304s given again while nothing was written."""

import logging

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin
from whitenoise.middleware import WhiteNoiseMiddleware

from . import readcache
from .conditional import kept_304_key, kept_not_modified

logger = logging.getLogger(__name__)

# Seconds a client should wait before retrying; a restarted PostgreSQL is back within that.
RETRY_AFTER = 5
API_DETAIL = "The database is unavailable; nothing was saved. Try again in a few seconds."


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    """Answer 503 when a view loses its database connection (OperationalError, InterfaceError).

    The failed transaction is rolled back by the database, so a 503 means
    nothing of the request was written. The error is logged with its traceback.
    """

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("Database unavailable during %s %s", request.method, request.path, exc_info=exception)
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": API_DETAIL}, status=503)
        else:
            # A page of its own, with no context processors: they would query the database again.
            response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        response["Cache-Control"] = "no-store"
        return response


class KeptNotModifiedMiddleware:
    """Answer a token's conditional GET with the 304 kept for it, before the rest of the stack (core.conditional).

    Only while nothing was written on the host since the 304 was made
    (core.readcache); the first such GET goes the whole way, and its 304 is
    kept here with the headers every middleware inside this one gave it, when
    the view said the ETag alone decided it. Second in MIDDLEWARE: the request
    id is still each request's own.
    """

    sync_capable = async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        key, kept, generation = _kept_answer(request)
        if kept is not None:
            return kept
        with readcache.request_deadline() as deadline:
            response = self.get_response(request)
        _keep(key, request, response, generation, deadline.at)
        return response

    async def _acall(self, request):
        key, kept, generation = _kept_answer(request)
        if kept is not None:
            return kept
        with readcache.request_deadline() as deadline:
            response = await self.get_response(request)
        _keep(key, request, response, generation, deadline.at)
        return response


def _kept_answer(request):
    """Return (the key the request's 304 would be kept by, the 304 kept for it, the generation now: read once,
    before the request's first query; None with the read cache off, when nothing is kept)."""
    generation = readcache.generation()
    key = None if generation is None else kept_304_key(request)
    kept = None if key is None else kept_not_modified.answer(key, request, generation)
    return key, kept, generation


def _keep(key, request, response, generation, deadline):
    """Keep the 304 until the earliest deadline of the kept reads it was made of (or READ_CACHE_SECONDS)."""
    keepable = getattr(request, "keep_304", None)
    if key is not None and keepable is not None and response.status_code == 304 and not response.cookies:
        kept_not_modified.keep(key, response, generation, keepable.expires, deadline)


class PermissionsPolicyMiddleware:
    """Send the Permissions-Policy header (settings.PERMISSIONS_POLICY): this site uses no camera, microphone, ..."""

    sync_capable = async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.PERMISSIONS_POLICY
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.policy)
        return response

    async def _acall(self, request):
        response = await self.get_response(request)
        response.setdefault("Permissions-Policy", self.policy)
        return response


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise's static files, in a middleware chain that stays async under ASGI (daphne serving HTTP).

    WhiteNoise's own middleware is sync only. Under ASGI, Django then runs it in a thread that
    calls the rest of the chain back through async_to_sync, and a client that disconnects
    mid-request can leave that thread's executor behind in the request's context, where
    Django's request_finished can no longer run ("CurrentThreadExecutor already quit"): the
    request's database connection is never closed, and with a pool never given back.
    """

    sync_capable = async_capable = True

    def __init__(self, get_response):
        super().__init__(get_response)
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        return super().__call__(request)

    async def _acall(self, request):
        if self.autorefresh:  # under DEBUG: each path looked up on disk
            static_file = await sync_to_async(self.find_file)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:
            return await sync_to_async(self.serve)(static_file, request)
        return await self.get_response(request)
