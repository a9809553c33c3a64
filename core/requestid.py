"""A request id on every log line: taken from nginx's X-Request-ID, or made up."""

import logging
import uuid
from contextvars import ContextVar

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

current_request_id = ContextVar("current_request_id", default="-")


def _request_id(request):
    # META, not request.headers: that would build a dict of every header for one of them.
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    # Accept only a short token-like id, so a client cannot forge log lines.
    if given and len(given) <= 64 and given.replace("-", "").isalnum():
        return given
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Set the request id for logging and echo it in the X-Request-ID response header."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        # Decided once: asking on every request what kind of chain this is costs more than the id itself.
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        request.id = _request_id(request)
        token = current_request_id.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request.id
        return response

    async def _acall(self, request):
        request.id = _request_id(request)
        token = current_request_id.set(request.id)
        try:
            response = await self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request.id
        return response


class RequestIdFilter(logging.Filter):
    """Give every log record a ``request_id`` attribute (``-`` outside a request)."""

    def filter(self, record):
        record.request_id = current_request_id.get()
        return True
