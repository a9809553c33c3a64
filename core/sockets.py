"""What every socket of the site shares: limits, the end of its session, and catching up after an outage.

``LiveConsumer`` is the base of the site's consumers. A subclass decides who
may connect, joins its own groups and sends its snapshot; the base

- counts this process's sockets per user and per client address and refuses
  more than the configured number (accepted, then closed with 4429, so the
  client sees why);
- joins the groups of the user's account and of the browser session, and
  closes the socket (4401) when that session ends (log-out) or the password
  changes (its session's authentication hash no longer matches);
- parses every frame: text, at most MAX_FRAME characters, a JSON object;
  anything else gets an error message, a frame too large a close with 4400;
- takes at most SOCKET_MESSAGE_BURST frames at once and
  SOCKET_MESSAGES_PER_SECOND after that from one socket (a token bucket); a
  client sending faster is closed with 4429, as one over the number of
  sockets is;
- calls ``resync()`` on every socket of the process when the channel layer
  comes back after an outage (Redis stopped or frozen), so clients get a
  fresh snapshot without reloading the page;
- on the Redis layer (core.layers), waits on the client alone and is told
  when a layer message arrives, instead of channels' loop, which keeps two
  tasks and an ``asyncio.wait`` per socket for the socket's whole life
  (about 3 KiB of each idle socket's memory, benchmarks/README.md).

Messages about access and sessions are sent with ``push_after_commit`` to
``account_group()`` and ``session_group()``.

``SocketAuthMiddleware`` puts the signed-in user into a socket's scope.
"""

import asyncio
import hashlib
import json
import logging
import time
import weakref
from collections import Counter as Tally

from channels.auth import get_user
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY
from django.http.cookie import parse_cookie
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

MAX_FRAME = 4096
BAD_FRAME, UNAUTHORIZED, TOO_MANY = 4400, 4401, 4429
INTERNAL_ERROR = 1011
# Seconds between two pings of the channel layer's Redis (the catch-up comes within about two of them).
MONITOR_INTERVAL = 1.0


def account_group(user_id):
    """Return the group of every socket of one user: access and password changes."""
    return f"account.{user_id}"


def session_group(session_key):
    """Return the group of the sockets of one browser session (the key itself never leaves the process)."""
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:32]


class LocalSockets:
    """The sockets open in this process: counted for the limits, resynced after a layer outage."""

    def __init__(self):
        self.open = weakref.WeakSet()
        self.per_user, self.per_address = Tally(), Tally()
        self.monitors = weakref.WeakKeyDictionary()  # event loop -> its monitor task

    def admit(self, consumer):
        """Count the socket in; False when its user or address holds the configured number already."""
        if consumer.user_id is not None and self.per_user[consumer.user_id] >= settings.SOCKETS_PER_USER:
            return False
        if self.per_address[consumer.address] >= settings.SOCKETS_PER_ADDRESS:
            return False
        self.open.add(consumer)
        if consumer.user_id is not None:
            self.per_user[consumer.user_id] += 1
        self.per_address[consumer.address] += 1
        self._watch_layer()
        return True

    def release(self, consumer):
        if consumer not in self.open:
            return
        self.open.discard(consumer)
        if consumer.user_id is not None:
            self.per_user[consumer.user_id] -= 1
        self.per_address[consumer.address] -= 1

    async def resync_all(self):
        """Send every open socket a fresh snapshot (after an outage of the channel layer)."""
        by_kind = {}
        for consumer in list(self.open):
            by_kind.setdefault(type(consumer), []).append(consumer)
        for kind, consumers in by_kind.items():
            try:
                await kind.resync_many(consumers)
            except Exception:  # one kind failing must not keep the others stale
                logger.exception("Resync of %d %s socket(s) failed", len(consumers), kind.__name__)

    def _watch_layer(self):
        loop = asyncio.get_running_loop()
        running = self.monitors.get(loop)
        if running is None or running.done():
            monitor = layer_monitor(get_channel_layer(), self)
            if monitor is not None:
                self.monitors[loop] = loop.create_task(monitor)


local_sockets = LocalSockets()


class SocketAuthMiddleware:
    """Put the user of the socket's session cookie into its scope, with what the socket needs of the session.

    The scope gets ``user`` (AnonymousUser without a valid session),
    ``session_key`` (None then) and ``session_auth_hash``. In place of
    channels' AuthMiddlewareStack, which keeps for each socket's lifetime
    three more copies of the scope, the session object with its data, a
    wrapper around every message sent (checking whether the session needs
    saving, which a socket never does) and, through the context it reads the
    session in, a cache client of its own: a quarter of an idle socket's memory.
    """

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        cookies = "; ".join(value.decode("latin1") for name, value in scope.get("headers", ()) if name == b"cookie")
        session_key = parse_cookie(cookies).get(settings.SESSION_COOKIE_NAME)
        # A task of its own: what reading the session leaves in context-local storage ends with it.
        user, session_key, auth_hash = await asyncio.create_task(_authenticate(session_key))
        scope = dict(scope, user=user, session_key=session_key, session_auth_hash=auth_hash)
        return await self.inner(scope, receive, send)


async def _authenticate(session_key):
    """Return (user, the session's key or None, its auth hash or None) for a session cookie's value."""
    session = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)  # the configured engine's
    user = await get_user({"session": session})  # loads the session; flushes it if the user's hash moved on
    if not user.is_authenticated:
        return user, None, None
    return user, session.session_key, session.get(HASH_SESSION_KEY)


def layer_monitor(layer, sockets):
    """Return a coroutine that pings the layer's Redis and resyncs the sockets when it answers again; or None."""
    hosts = (getattr(layer, "_kwargs", None) or {}).get("hosts")
    if not hosts:
        return None  # the in-memory layer cannot go away
    from redis import asyncio as aioredis

    host = hosts[0]
    address = host["address"] if isinstance(host, dict) else host

    async def ping():
        # A connection of its own each time: nothing to leave open when the loop or process ends.
        client = aioredis.Redis.from_url(
            address, socket_connect_timeout=MONITOR_INTERVAL, socket_timeout=MONITOR_INTERVAL
        )
        try:
            await asyncio.wait_for(client.ping(), MONITOR_INTERVAL)
        finally:
            await client.aclose()

    async def watch():
        down = False
        while sockets.open:
            try:
                await ping()
            except Exception as error:  # any failure to answer is an outage
                if not down:
                    logger.warning("The channel layer does not answer (%s); sockets resync when it does.", error)
                down = True
            else:
                if down:
                    down = False
                    logger.warning("The channel layer answers again; resyncing %d socket(s).", len(sockets.open))
                    # Give the layer's own subscriptions a moment to come back before the snapshot.
                    await asyncio.sleep(MONITOR_INTERVAL)
                    await sockets.resync_all()
            await asyncio.sleep(MONITOR_INTERVAL)

    return watch()


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Base of the site's sockets (see the module docstring). Subclasses call ``admit()`` first in connect()."""

    user_id = None
    address = None
    session_hash = None
    _draining = None  # the task dispatching the layer's messages while some wait

    async def __call__(self, scope, receive, send):
        """channels' AsyncConsumer.__call__, with messages of the layer taken when the layer says they wait.

        One message is dispatched at a time, the client's or the layer's, as in channels' loop. A layer
        without ``listen`` (the in-memory one) gets channels' loop.
        """
        layer = get_channel_layer(self.channel_layer_alias)
        if not hasattr(layer, "listen"):
            return await super().__call__(scope, receive, send)
        self.scope, self.channel_layer, self.base_send = scope, layer, send
        self.channel_name = await layer.new_channel()
        self._turn = asyncio.Lock()
        layer.listen(self.channel_name, self._layer_message_waits)
        try:
            while True:
                message = await receive()
                async with self._turn:
                    await self.dispatch(message)
        except StopConsumer:
            pass
        finally:
            if self._draining is not None:
                self._draining.cancel()
            await layer.forget(self.channel_name)

    def _layer_message_waits(self):
        if self._draining is None:
            self._draining = asyncio.get_running_loop().create_task(self._drain_layer())

    async def _drain_layer(self):
        try:
            while (message := self.channel_layer.take(self.channel_name)) is not None:
                async with self._turn:
                    await self.dispatch(message)
        except StopConsumer:  # a handler ends the consumer, as in channels' loop: the socket closes, then the rest
            await self.close()
        except Exception:  # channels' loop would end the consumer: so does this, with a close the client sees
            logger.exception("A layer message to a %s socket failed; closing it", type(self).__name__)
            await self.close(code=INTERNAL_ERROR)
        finally:
            self._draining = None

    async def admit(self):
        """Count the socket in and join its account's and session's groups; False (closed 4429) when over a limit."""
        user = self.scope.get("user")
        self.user_id = user.pk if user is not None and user.is_authenticated else None
        self.address = (self.scope.get("client") or ("unknown",))[0]
        self.joined = []
        if not local_sockets.admit(self):
            await self.accept()
            await self.close(code=TOO_MANY)
            return False
        session_key = self.scope.get("session_key")
        if self.user_id is not None and session_key:
            self.session_hash = self.scope.get("session_auth_hash")
            await self.join(account_group(self.user_id))
            await self.join(session_group(session_key))
        return True

    async def dispatch(self, message):
        """Run the message's handler, without channels' close_old_connections() before each message.

        channels sends that call through the process's one sync thread for every message of every
        socket: a fan-out to a thousand sockets queued a thousand thread hops, and handshakes behind
        them. Our handlers reach the database only through database_sync_to_async, which closes stale
        connections itself around each call.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def join(self, group):
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined.append(group)

    async def leave(self, group):
        await self.channel_layer.group_discard(group, self.channel_name)
        self.joined.remove(group)

    async def close(self, code=None, reason=None):
        # Counted out at once: the client's disconnect may come late (or, in tests, never).
        local_sockets.release(self)
        await super().close(code=code, reason=reason)

    async def disconnect(self, code):
        local_sockets.release(self)
        for group in list(getattr(self, "joined", ())):
            await self.leave(group)

    def _may_send(self):
        """Spend a token of the socket's bucket (settings.SOCKET_MESSAGE_BURST, refilled at
        SOCKET_MESSAGES_PER_SECOND); False if it is empty. A person clicks; a script flooded one socket with
        3,000 "mark_all_read" frames, 15 s of database work."""
        burst = settings.SOCKET_MESSAGE_BURST
        now = time.monotonic()
        tokens, then = getattr(self, "_bucket", (burst, now))
        tokens = min(burst, tokens + (now - then) * settings.SOCKET_MESSAGES_PER_SECOND)
        self._bucket = (tokens - 1, now)
        return tokens >= 1

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if not self._may_send():
            await self.close(code=TOO_MANY)
            return
        if text_data is None:
            await self.send_error("Send JSON as text frames.")
            return
        if len(text_data) > MAX_FRAME:
            await self.close(code=BAD_FRAME)
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.send_error("The message is not valid JSON.")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error(self.expected)
            return
        await self.receive_json(content)

    expected = 'Expected a JSON object with a "type".'

    async def send_error(self, error):
        await self.send_json({"type": "error", "error": error})

    async def resync(self):
        """Send the client a fresh snapshot (its pushes may have been lost)."""

    @classmethod
    async def resync_many(cls, consumers):
        for consumer in consumers:
            await consumer.resync()

    # Channel-layer events of the account and session groups.

    async def session_ended(self, message):
        await self.close(code=UNAUTHORIZED)

    async def auth_changed(self, message):
        if message.get("auth_hash") != self.session_hash:
            await self.close(code=UNAUTHORIZED)

    async def access_changed(self, message):
        """A role in an event changed; sockets that depend on it re-check (see the event socket)."""


class NoSuchSocket(AsyncWebsocketConsumer):
    """The last route: a handshake to a path no socket serves is refused (HTTP 403), as any refused socket is.

    Without it channels' URLRouter raises for the path, and daphne answers the handshake with a 500.
    """

    async def connect(self):
        await self.close()
