"""Messages to channel-layer groups: the one way server code talks to open sockets.

The database is the truth and the channel layer a fast path. A push never
slows the request that caused it:

- from sync code (views, services, management commands) the messages are
  handed, after commit, to this process's ``Broadcaster``: one event loop in a
  daemon thread, with its own long-lived layer connections and a bounded
  queue. It sends what has queued up as one batch (one pipelined round trip
  on Redis), merging the version messages of one group. A layer that is down
  or frozen costs the request nothing; what could not be pushed is logged
  once per outage, and the sockets catch up (see core.sockets);
- from async code (consumers) they go out on the running loop;
- with the in-memory layer (one process: ``make run``, tests) they are sent
  at once into this process's loop, where its sockets live.
"""

import asyncio
import logging
import os
import threading

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# Messages waiting to be sent, at most; beyond it new ones are dropped (and logged).
MAX_PENDING = 20_000
# Seconds one batch may take before the layer counts as unavailable.
SEND_TIMEOUT = 2.0
VERSIONS_CHANGED = "versions.changed"


def push_to_groups(messages):
    """Send (group, message) pairs on the channel layer without waiting for the layer."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    messages = list(messages)
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None:
        _keep(running.create_task(_send_logged(layer, messages)))
    elif isinstance(layer, InMemoryChannelLayer):
        # One process: reach the loop its sockets live in (async_to_sync finds it from a view's thread).
        try:
            async_to_sync(send_batch)(layer, messages)
        except Exception as error:  # the layer is an optional fast path; the rows are the truth
            logger.warning("Could not push %d message(s) to the channel layer: %s", len(messages), error)
    else:
        broadcaster.submit(messages)


def push_after_commit(messages, *, using=None):
    """Send (group, message) pairs once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: push_to_groups(messages), using=using)


_tasks = set()


def _keep(task):
    # The loop keeps only weak references to tasks: hold each until it is done.
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def _send_logged(layer, messages):
    try:
        await asyncio.wait_for(send_batch(layer, messages), SEND_TIMEOUT)
    except Exception as error:
        logger.warning("Could not push %d message(s) to the channel layer: %s", len(messages), error)


def merge(messages):
    """Return the messages with the version messages of each group merged into one (others kept in order).

    Counters only grow, so the merged message holds the highest value seen for
    each list and every list named as changed.
    """
    merged, versions = [], {}
    for group, message in messages:
        if message.get("type") != VERSIONS_CHANGED:
            merged.append((group, message))
            continue
        if group not in versions:
            versions[group] = {"type": VERSIONS_CHANGED, "versions": {}, "changed": []}
            merged.append((group, versions[group]))
        into = versions[group]
        for name, value in message["versions"].items():
            into["versions"][name] = max(value, into["versions"].get(name, 0))
        into["changed"] = sorted({*into["changed"], *message["changed"]})
    return merged


async def send_batch(layer, messages):
    """Send the messages to their groups: pipelined in one round trip per Redis shard where the layer allows."""
    publish = _pubsub_publisher(layer)
    if publish is not None:
        await publish(messages)
        return
    for group, message in messages:
        await layer.group_send(group, message)


def _pubsub_publisher(layer):
    """Return a batch publisher for channels_redis' RedisPubSubChannelLayer, or None for other layers.

    channels_redis (pinned) publishes one group message per round trip; this
    uses its own naming, sharding and serialization, and one pipeline per shard.
    """
    try:
        from channels_redis.pubsub import RedisPubSubChannelLayer
    except ImportError:  # pragma: no cover - channels_redis is a pinned requirement
        return None
    if not isinstance(layer, RedisPubSubChannelLayer):
        return None

    async def publish(messages):
        loop_layer = layer._get_layer()
        by_shard = {}
        for group, message in messages:
            channel = loop_layer._get_group_channel_name(group)
            shard = loop_layer._get_shard(channel)
            by_shard.setdefault(id(shard), (shard, []))[1].append((channel, layer.serialize(message)))
        for shard, items in by_shard.values():
            shard._ensure_redis()
            pipe = shard._redis.pipeline(transaction=False)
            for channel, data in items:
                pipe.publish(channel, data)
            await pipe.execute()

    return publish


class Broadcaster:
    """This process's sending loop: a daemon thread running one event loop, fed by a bounded queue."""

    def __init__(self, *, max_pending=MAX_PENDING, send_timeout=SEND_TIMEOUT):
        self.max_pending, self.send_timeout = max_pending, send_timeout
        self._lock = threading.Lock()
        self._loop = self._queue = self._thread = None
        self._pid = None
        self._pending = 0
        self._failing = False
        self._lost = 0

    def submit(self, messages):
        """Queue the messages for sending and return at once; False when the queue was full (they are dropped)."""
        with self._lock:
            loop = self._running_loop()
            if self._pending + len(messages) > self.max_pending:
                self._lose(len(messages), "the queue is full")
                return False
            self._pending += len(messages)
        loop.call_soon_threadsafe(self._queue.put_nowait, list(messages))
        return True

    def _running_loop(self):
        # A forked child (gunicorn worker) inherits no thread: start its own.
        if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
            self._pid = os.getpid()
            self._loop = asyncio.new_event_loop()
            self._queue = asyncio.Queue()
            self._pending = 0
            started = threading.Event()
            self._thread = threading.Thread(target=self._serve, args=(started,), name="broadcaster", daemon=True)
            self._thread.start()
            started.wait()
        return self._loop

    def _serve(self, started):
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(started.set)
        drain = self._loop.create_task(self._drain_forever())
        try:
            self._loop.run_forever()
        finally:
            drain.cancel()
            self._loop.run_until_complete(asyncio.gather(drain, return_exceptions=True))
            self._loop.close()

    async def _drain_forever(self):
        while True:
            batch = await self._queue.get()
            while not self._queue.empty():
                batch.extend(self._queue.get_nowait())
            try:
                await self._send(merge(batch))
            finally:
                with self._lock:
                    self._pending -= len(batch)

    async def _send(self, messages):
        layer = get_channel_layer()
        try:
            await asyncio.wait_for(send_batch(layer, messages), self.send_timeout)
        except Exception as error:  # the layer is an optional fast path; the rows are the truth
            with self._lock:
                self._lose(len(messages), f"{type(error).__name__}: {error}")
            return
        with self._lock:
            if self._failing:
                logger.warning("Pushing to the channel layer works again; %d message(s) were lost.", self._lost)
                self._failing, self._lost = False, 0

    def _lose(self, count, reason):
        """Count messages that could not be pushed; log the first loss of an outage only."""
        self._lost += count
        if not self._failing:
            self._failing = True
            logger.warning(
                "Could not push %d message(s) to the channel layer (%s); open sockets resync later.", count, reason
            )

    def wait_until_idle(self, timeout=5.0):
        """Block until every queued message was sent or dropped (tests and benchmarks)."""
        if self._loop is None or self._pid != os.getpid():
            return True
        done = asyncio.run_coroutine_threadsafe(self._idle(), self._loop)
        try:
            done.result(timeout)
            return True
        except TimeoutError:
            return False

    async def _idle(self):
        while self._pending or not self._queue.empty():
            await asyncio.sleep(0.005)

    def close(self):
        """Stop the sending loop and its thread (tests give each test a broadcaster of its own)."""
        if self._loop is None or self._pid != os.getpid() or not self._thread.is_alive():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


broadcaster = Broadcaster()
