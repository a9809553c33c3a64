"""Idle sockets: how many one daphne holds, and what each costs in memory.

A fresh daphne (same settings, database and Redis) so no earlier benchmark's
garbage hides in its heap. One socket is opened and closed to load the
consumer code; then its resident memory (VmRSS of /proc/<pid>/status) is read,
500 authenticated sockets are opened (each receives its snapshot, so each is
accepted, authenticated and in its group) and left idle for 3 s, and the
memory is read again.
"""

import asyncio

from .harness import HIGHER, LOWER, Row, close_sockets, open_sockets

SOCKETS = 500


async def measure(daphne, cookies):
    warm, _ = await open_sockets(daphne, cookies[:1])
    await close_sockets(warm)
    await asyncio.sleep(1)
    before = daphne.rss_kib()
    sockets, snapshots = await open_sockets(daphne, cookies[:SOCKETS])
    try:
        await asyncio.sleep(3)
        after = daphne.rss_kib()
        held = sum(1 for socket, snapshot in zip(sockets, snapshots, strict=True) if snapshot["type"] == "snapshot")
        return before, after, held
    finally:
        await close_sockets(sockets)


def run(bench):
    daphne = bench.start_daphne("sockets")
    try:
        before, after, held = asyncio.run(measure(daphne, bench.world.socket_cookies))
    finally:
        daphne.stop()
    per_socket = (after - before) / held
    return [
        Row(
            "sockets",
            "idle authenticated sockets held by one daphne",
            held,
            "sockets",
            "sockets opened",
            SOCKETS,
            HIGHER,
        ),
        Row(
            "sockets",
            f"daphne memory (RSS) with {held} idle sockets",
            after / 1024,
            "MiB",
            "the same process before connecting",
            before / 1024,
            LOWER,
            note=f"{per_socket:.1f} KiB per socket",
        ),
    ]
