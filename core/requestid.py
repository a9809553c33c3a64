"""A request id on every log line: taken from nginx's X-Request-ID, or made up."""

import logging
import uuid
from contextvars import ContextVar

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

current_request_id = ContextVar("current_request_id", default="-")


def _request_id(request):
    given = request.headers.get("X-Request-ID", "")
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
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
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
