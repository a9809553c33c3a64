"""ASGI entry point: WebSockets through Channels (and HTTP through Django: `make run`, /healthz).

daphne runs each HTTP request on a thread of its own and the sockets'
queries on another, so connections cannot stay with a thread: on
PostgreSQL they come from psycopg's pool (DATABASE_POOL, on unless set),
bounded by DATABASE_POOL_MAX_SIZE per process. See docs/deploy.md.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventsite.settings")
os.environ.setdefault("DATABASE_APPLICATION_NAME", "openevent-sockets")
os.environ.setdefault("DATABASE_POOL", "1")
django_asgi_app = get_asgi_application()

# Imported after Django is set up: the routing imports models.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from core.sockets import NoSuchSocket, SocketAuthMiddleware  # noqa: E402
from events.routing import websocket_urlpatterns as event_sockets  # noqa: E402
from notifications.routing import websocket_urlpatterns as notification_sockets  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            SocketAuthMiddleware(
                URLRouter([*notification_sockets, *event_sockets, re_path(r"", NoSuchSocket.as_asgi())])
            )
        ),
    }
)
