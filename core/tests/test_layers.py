"""The channel layer's inbox (core.layers.Inbox): what channels_redis asks of a queue, nothing held when empty."""

import asyncio

from core.layers import Inbox


async def test_messages_come_out_in_order_and_an_empty_inbox_holds_no_buffers():
    inbox = Inbox()
    for message in ("a", "b", "c"):
        inbox.put_nowait(message)
    assert inbox.qsize() == 3
    assert [await inbox.get() for _ in range(3)] == ["a", "b", "c"]
    assert (inbox.empty(), inbox._items, inbox._waiters) == (True, None, None)


async def test_a_waiting_reader_gets_the_next_message():
    inbox = Inbox()
    reader = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    assert not reader.done()
    inbox.put_nowait("hello")
    assert await asyncio.wait_for(reader, 1) == "hello"
    assert (inbox._items, inbox._waiters) == (None, None)


async def test_a_reader_cancelled_after_being_woken_leaves_the_message_to_the_next():
    inbox = Inbox()
    first = asyncio.ensure_future(inbox.get())
    second = asyncio.ensure_future(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait("only")  # wakes the first reader...
    first.cancel()  # ...which is cancelled before it runs
    assert await asyncio.wait_for(second, 1) == "only"
    assert first.cancelled()
    assert inbox.empty()


def test_a_listener_is_told_of_each_message_and_takes_them_in_order():
    inbox, told = Inbox(), []
    inbox.listener = lambda: told.append(inbox.qsize())
    inbox.put_nowait("a")
    inbox.put_nowait("b")
    assert told == [1, 2]
    assert [inbox.get_nowait(), inbox.get_nowait(), inbox.get_nowait()] == ["a", "b", None]
    assert (inbox._items, inbox._waiters) == (None, None)
