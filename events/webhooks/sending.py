"""One HTTP POST to a receiver: pinned to the address that was checked, cut at a deadline, no redirects."""

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from .targets import TargetRefused, resolve

USER_AGENT = "OpenEvent-Webhooks/1.0"
# What the log keeps of a receiver's answer.
EXCERPT_BYTES = 1024


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: the status (None when no answer came), how long it took, why it failed."""

    status: int | None
    duration_ms: int
    error: str = ""
    excerpt: str = ""

    @property
    def succeeded(self):
        return self.status is not None and 200 <= self.status < 300


def post(url, body, headers, *, timeout):
    """POST the body to the URL and return an Outcome; never raises for what a receiver does.

    The whole exchange (connect, send, answer, the first KiB of its body) is
    cut after ``timeout`` seconds. A redirect is an answer like any other
    (not followed). The name is resolved and checked here (targets.resolve)
    and the connection goes to that very address; HTTPS still verifies the
    certificate against the name.
    """
    started = time.monotonic()
    try:
        host, port, address = resolve(url)
    except TargetRefused as error:
        return Outcome(None, _ms(started), f"refused: {error}")
    parts = urlsplit(url)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    # Connect to the checked address, not to whatever the name resolves to a moment later.
    connection._create_connection = lambda _address, *args: socket.create_connection((address, port), *args)
    watchdog = threading.Timer(timeout, _cut, [connection])
    watchdog.daemon = True
    watchdog.start()
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        all_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
        connection.request("POST", path, body=body, headers=all_headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_BYTES).decode("utf-8", "replace")
        return Outcome(response.status, _ms(started), "" if 200 <= response.status < 300 else response.reason, excerpt)
    except (OSError, http.client.HTTPException) as error:
        timed_out = time.monotonic() - started >= timeout or isinstance(error, TimeoutError)
        reason = f"timed out after {timeout:g} s" if timed_out else f"{type(error).__name__}: {error}".rstrip(": ")
        return Outcome(None, _ms(started), reason)
    finally:
        watchdog.cancel()
        connection.close()


def _cut(connection):
    """Close the connection's socket from the watchdog thread: a receiver dripping bytes is cut at the deadline."""
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _ms(started):
    return round((time.monotonic() - started) * 1000)
