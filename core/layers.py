"""The channel layer on Redis: channels_redis' pub/sub layer, with a lean inbox per consumer.

channels_redis gives every consumer's channel an ``asyncio.Queue``: four
deques and an event, about 2.3 KiB allocated before any message arrives,
for each open socket. A socket's inbox is read by its one consumer and is
empty nearly all the time; ``Inbox`` holds nothing until a message waits.

A consumer may also be told when a message waits (``listen``) and take it
then (``take``) instead of keeping a reader waiting on ``receive()``: that
reader is a task and a future per socket, for the whole life of the socket
(core.sockets.LiveConsumer). ``forget`` unsubscribes such a channel, as
``receive()`` does when its reader is cancelled.

Everything else (subscriptions, groups, shards, serialization) is
channels_redis' own, pinned in requirements.txt.
"""

import asyncio
from collections import deque

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer
from channels_redis.utils import _wrap_close


class Inbox:
    """The part of asyncio.Queue a channel layer uses (``put_nowait``, ``get``), unbounded, allocated on demand."""

    __slots__ = ("_items", "_waiters", "listener")

    def __init__(self):
        self._items = self._waiters = self.listener = None

    def qsize(self):
        return len(self._items) if self._items else 0

    def empty(self):
        return not self._items

    def put_nowait(self, item):
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        self._wake_one()
        if self.listener is not None:
            self.listener()

    def get_nowait(self):
        """Return the next item, or None when none waits."""
        if not self._items:
            return None
        item = self._items.popleft()
        if not self._items:
            self._items = None
        return item

    def _wake_one(self):
        while self._waiters:
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return

    async def get(self):
        while not self._items:
            if self._waiters is None:
                self._waiters = []  # nearly always one reader: a list of one is a tenth of an empty deque
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                elif self._items:
                    self._wake_one()  # it was woken for an item it will not take: the next reader takes it
                raise
        item = self._items.popleft()
        if not self._items:
            self._items = None
        if not self._waiters:
            self._waiters = None
        return item


class _LoopLayer(RedisPubSubLoopLayer):
    async def _subscribe_to_channel(self, channel):
        self.channels[channel] = Inbox()
        await self._get_shard(channel).subscribe(channel)

    def listen(self, channel, listener):
        self.channels[channel].listener = listener

    def take(self, channel):
        inbox = self.channels.get(channel)
        message = None if inbox is None else inbox.get_nowait()
        return None if message is None else self.channel_layer.deserialize(message)

    async def forget(self, channel):
        if self.channels.pop(channel, None) is not None:
            await self._get_shard(channel).unsubscribe(channel)


class PubSubChannelLayer(RedisPubSubChannelLayer):
    """channels_redis' ``RedisPubSubChannelLayer`` (same settings) whose consumers' inboxes are ``Inbox``."""

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        try:
            return self._layers[loop]
        except KeyError:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
            return layer

    def listen(self, channel, listener):
        """Call ``listener()`` (no arguments) each time a message arrives on the channel (from ``new_channel()``)."""
        self._get_layer().listen(channel, listener)

    def take(self, channel):
        """Return the next message waiting on the channel, or None."""
        return self._get_layer().take(channel)

    async def forget(self, channel):
        """Unsubscribe the channel and drop what waits in it: its consumer has ended."""
        await self._get_layer().forget(channel)
