"""The public schedule: the page and each feed, 200 against 304, beside pretalx's exports of the same schedule.

Our side is the "BenchConf" event of benchmarks/world.py, shaped like the
peer's (benchmarks/pretalx_seed.py): 50 confirmed talks of 30 minutes in 5
rooms, one speaker each. Every figure is wrk with 4 connections for 2 s
(after 1 s of warm-up), anonymous, as a calendar client or a conference app
polls:

- each of our feeds (iCal, frab XML, frab JSON, plain JSON) answered in full
  (200) and revalidated with the ETag it gave (304: the event and the
  counters, nothing else is read); the 304 row's baseline is the same feed's
  200 of this run;
- the schedule page (HTML; no ETag: it carries a CSRF token);
- pretalx 2026.2.1 (one sync gunicorn worker, as peer_pretalx.py starts it)
  serving the same schedule's exports and its schedule page: the 200 rows'
  baseline. Where pretalx answers If-None-Match with a 304, that is measured
  too; where it sends an ETag but answers 200 to it, the row says so.
"""

import requests

from .harness import HIGHER, Row, throughput
from .peer_pretalx import EVENT_SLUG, PretalxPeer

# Seconds of wrk per figure (after a second of warm-up): 14 figures, most of the script's time in make bench
# (3 s took make bench to 617 s on a slow day, past its 10 minutes).
SECONDS = 2
# label, our path (under /e/<slug>/), the peer's export name (peer_pretalx.PretalxPeer.schedule_exports)
FEEDS = [
    ("iCal", "schedule.ics", "ical"),
    ("frab XML", "schedule.xml", "frab_xml"),
    ("frab JSON", "schedule.json", "frab_json"),
    ("plain JSON", "schedule/data.json", None),
]


def revalidates(url, etag):
    """Whether the server answers 304 to the ETag it gave (some send an ETag and never match it)."""
    return bool(etag) and requests.get(url, headers={"If-None-Match": etag}, timeout=60).status_code == 304


def measure(url, *, etag_too):
    """Return (200 result, 304 result or None) for the URL."""
    full = throughput(url, seconds=SECONDS)
    etag = requests.get(url, timeout=60).headers.get("ETag") if etag_too else None
    revalidated = None
    if revalidates(url, etag):
        revalidated = throughput(url, headers={"If-None-Match": etag}, expect=304, seconds=SECONDS)
    return full, revalidated


def peer_figures(bench):
    """Return {label: (200 result, 304 result or None, note)} of pretalx's page and exports."""
    figures = {}
    with PretalxPeer(bench.work / "pretalx", log=lambda *_: None) as peer:
        targets = {label: peer.schedule_exports[name] for label, _path, name in FEEDS if name}
        targets["schedule page"] = peer.url(f"/{EVENT_SLUG}/schedule/")
        for label, url in targets.items():
            probe = requests.get(url, timeout=60)
            if probe.status_code != 200:
                figures[label] = (None, None, f"pretalx answered {probe.status_code}")
                continue
            etag = probe.headers.get("ETag")
            note = "" if not etag or revalidates(url, etag) else "pretalx sends an ETag but answers 200 to it"
            figures[label] = (*measure(url, etag_too=True), note)
    return figures


def run(bench):
    daphne, slug = bench.daphne, bench.world.schedule_slug
    ours = {}
    for label, path, _peer_name in FEEDS:
        ours[label] = measure(daphne.url(f"/e/{slug}/{path}"), etag_too=True)
    ours["schedule page"] = measure(daphne.url(f"/e/{slug}/schedule/"), etag_too=False)
    try:
        peer = peer_figures(bench)
        peer_note = ""
    except Exception as error:  # the peer is a yardstick: without it our figures still stand
        peer, peer_note = {}, f"pretalx peer unavailable: {type(error).__name__}: {error}"[:200]

    rows = []
    for label in [*(feed[0] for feed in FEEDS), "schedule page"]:
        full, revalidated = ours[label]
        peer_full, peer_304, why = peer.get(label, (None, None, peer_note or "pretalx has no such export"))
        rows.append(
            Row(
                "Schedule",
                f"{label}, 200",
                full.rps,
                "req/s",
                f"pretalx {label}, 200",
                peer_full.rps if peer_full else None,
                HIGHER,
                why,
            )
        )
        if revalidated is not None:
            rows.append(
                Row("Schedule", f"{label}, 304 from counters", revalidated.rps, "req/s", f"our {label}, 200", full.rps)
            )
        if peer_304 is not None:
            rows.append(
                Row("Schedule", f"pretalx {label}, 304", peer_304.rps, "req/s", f"pretalx {label}, 200", peer_full.rps)
            )
    return rows
