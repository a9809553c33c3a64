"""Pictures: the memory an upload costs the server, for the worst picture it accepts, alone and 12 at once.

A fresh server process (the run's settings) so no earlier benchmark's heap
hides the figure. Its peak resident memory (VmHWM of /proc/<pid>/status) is
read after one small upload (the baseline: code loaded, nothing large
decoded), then after the worst accepted upload (a PNG just under the decoded
pixel limit, decoded whole, as a WebP would be; a JPEG at the header limit
decodes reduced and costs less), then after 12 of those sent at once (one
decode at a time per process: the others wait their turn). The answers must
all be 200. Before the limits, a 39 MP WebP took the server from 153 to 745
MB and 12 in parallel peaked at 7.4 GB.
"""

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from PIL import Image

from .harness import LOWER, Row

PARALLEL = 12


def png(width, height):
    """A picture that is cheap to send and costs its full size to decode: a gradient, stretched."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    output = io.BytesIO()
    image.save(output, "PNG")
    return output.getvalue()


def peak_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM line")


def upload(server, token, event_id, content):
    response = requests.post(
        server.url(f"/api/v1/events/{event_id}/background/"),
        files={"background": ("picture.png", content, "image/png")},
        headers={"Authorization": f"Token {token}"},
        timeout=120,
    )
    return response.status_code


def run(bench):
    from django.conf import settings

    world = bench.world
    server = bench.start_daphne("images")
    try:
        small = png(980, 490)
        limit = settings.IMAGE_MAX_DECODED_PIXELS
        width = 4000
        worst = png(width, limit // width - 1)
        assert len(worst) <= settings.BACKGROUND_MAX_BYTES, len(worst)
        assert upload(server, world.organizer_token, world.event_id, small) == 200
        baseline = peak_kib(server.pid)
        assert upload(server, world.organizer_token, world.event_id, worst) == 200
        one = peak_kib(server.pid)
        with ThreadPoolExecutor(PARALLEL) as pool:
            statuses = list(
                pool.map(lambda _: upload(server, world.organizer_token, world.event_id, worst), range(PARALLEL))
            )
        twelve = peak_kib(server.pid)
    finally:
        server.stop()
    with Image.open(io.BytesIO(worst)) as image:
        size = f"{image.width} x {image.height} PNG, {len(worst) / 2**20:.1f} MiB"
    return [
        Row(
            "pictures",
            f"server peak memory after the worst accepted upload ({size})",
            one / 1024,
            "MiB",
            "after a small upload (code loaded)",
            baseline / 1024,
            LOWER,
            note=f"+{(one - baseline) / 1024:.0f} MiB",
        ),
        Row(
            "pictures",
            f"server peak memory after {PARALLEL} of them at once",
            twelve / 1024,
            "MiB",
            "after a small upload (code loaded)",
            baseline / 1024,
            LOWER,
            note=f"+{(twelve - baseline) / 1024:.0f} MiB; answers {sorted(set(statuses))}",
        ),
    ]
