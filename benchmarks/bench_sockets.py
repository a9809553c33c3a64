"""Idle sockets: 10,000 held by one socket server, and what each costs in memory.

A fresh daphne (the run's settings, database and Redis; open-files limit
raised as deploy/ raises it) so no earlier benchmark's garbage hides in its
heap. One socket is opened and closed to load the consumer code; then its
resident memory (VmRSS of /proc/<pid>/status) is read, 10,000 authenticated
notification sockets are opened (20 for each of 500 users: each receives its
snapshot, so each is accepted, authenticated and in its groups) and left
idle for 5 s, and the memory is read again. At most 50 handshakes are in
flight at once: daphne listens with twisted's default backlog of 50, and a
storm of 200 overflowed it (connections reset before their answer, at about
5,300 sockets).
"""

import asyncio

from django.contrib.auth import get_user_model

from .harness import LOWER, Row
from .realtime import close_sockets, open_sockets, raise_open_files_limit, session_cookies, socket_server

SOCKETS = 10_000
PER_USER = 20


async def measure(server, cookies):
    warm, _, _ = await open_sockets(server, [("/ws/notifications/", cookies[0])])
    await close_sockets(warm)
    await asyncio.sleep(1)
    before = server.rss_kib()
    targets = [("/ws/notifications/", cookie) for cookie in cookies for _ in range(PER_USER)][:SOCKETS]
    sockets, snapshots, _ = await open_sockets(server, targets, concurrency=50, timeout=120)
    try:
        await asyncio.sleep(5)
        after = server.rss_kib()
        held = sum(1 for snapshot in snapshots if snapshot["type"] == "snapshot")
        return before, after, held
    finally:
        await close_sockets(sockets)


def run(bench):
    files = raise_open_files_limit()
    if files < SOCKETS + 1000:  # each end (this process, the server) holds one descriptor per socket
        raise RuntimeError(f"the open-files limit is {files}; {SOCKETS:,} sockets need more")
    users = list(get_user_model().objects.filter(email__startswith="socket").order_by("pk")[: SOCKETS // PER_USER])
    cookies = session_cookies(users)
    server = socket_server(bench, "idle", SOCKETS_PER_USER=str(PER_USER))
    try:
        before, after, held = asyncio.run(measure(server, cookies))
    finally:
        server.stop()
    per_socket = (after - before) / held
    return [
        Row("sockets", "idle authenticated sockets held by one socket server", held, "sockets", "opened", SOCKETS),
        Row(
            "sockets",
            f"socket server memory (RSS) with {held:,} idle sockets",
            after / 1024,
            "MiB",
            "the same process before connecting",
            before / 1024,
            LOWER,
            note=f"{per_socket:.1f} KiB per socket; target <= 30 KiB",
        ),
    ]
