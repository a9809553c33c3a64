"""Open a notifications socket through the whole ASGI stack, as a browser would."""

import contextlib

from channels.routing import get_default_application
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import AsyncClient

PATH = "/ws/notifications/"
# Development settings (which the test plugin turns on) allow localhost.
ORIGIN = "http://localhost"
TIMEOUT = 3


async def session_cookie(user):
    client = AsyncClient()
    await client.aforce_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def application_under_test():
    """Return the project's ASGI application, as settings name it (apps do not import the project package)."""
    return get_default_application()


async def communicator_for(user=None, *, origin=ORIGIN, path=PATH):
    """Return an unconnected communicator to the path, signed in as the user (anonymous for None)."""
    application = application_under_test()

    headers = [(b"host", b"localhost"), (b"origin", origin.encode())]
    if user is not None:
        headers.append((b"cookie", (await session_cookie(user)).encode()))
    return WebsocketCommunicator(application, path, headers=headers)


@contextlib.asynccontextmanager
async def socket_for(user):
    """Connect as the user, check the socket was accepted, and disconnect at the end."""
    communicator = await communicator_for(user)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    try:
        yield communicator
    finally:
        await communicator.disconnect(timeout=TIMEOUT)


async def receive(communicator):
    return await communicator.receive_json_from(timeout=TIMEOUT)
