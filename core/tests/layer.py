"""What channel-layer groups hear while a test's code runs and commits (the in-memory layer, or Redis in its pass)."""

import asyncio

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer


def heard_after_commit(groups, act, capture_on_commit, *, more=0.0):
    """Listen on the groups, run ``act()`` in the test's thread (inside its transaction) and commit.

    Return (what ``act()`` returned, {group: the messages it got}, the commit callbacks): each group's
    first message, waited for up to 3 s, then any that follow within ``more`` seconds of the one before.
    """
    layer = get_channel_layer()

    def act_and_commit():
        with capture_on_commit(execute=True) as callbacks:
            return act(), callbacks

    async def heard(channel):
        messages = [await asyncio.wait_for(layer.receive(channel), timeout=3)]
        try:
            while more:
                messages.append(await asyncio.wait_for(layer.receive(channel), timeout=more))
        except TimeoutError:
            pass
        return messages

    async def listen():
        channels = {group: await layer.new_channel() for group in groups}
        for group, channel in channels.items():
            await layer.group_add(group, channel)
        result, callbacks = await sync_to_async(act_and_commit)()
        messages = {group: await heard(channel) for group, channel in channels.items()}
        for group, channel in channels.items():
            await layer.group_discard(group, channel)
        return result, messages, callbacks

    return async_to_sync(listen)()
