"""API throughput against the floor, and 200 vs 304 vs a body-hash ETag.

Every figure is wrk with 4 connections for 5 s (after 1 s of warm-up, at most
30,000 requests) against the one daphne, as the organizer (token auth):

- floor: ``/bench/bare/``, a constant JSON object from a plain Django view
  behind the same middleware (benchmarks/urls.py);
- the API: one event (``/api/v1/events/<id>/``) and its list of 50 sessions
  with their speakers (``.../sessions/``);
- conditional GETs: our 304 answers If-None-Match from the stored version
  counters before anything is loaded; the baseline is the usual body-hash
  ETag (``/bench/hash/...``: the same view runs in full, its body is hashed,
  then 304, as Django's ConditionalGetMiddleware does).
"""

import requests

from .harness import HIGHER, Row, throughput

BODY_HASH_304 = "body-hash ETag 304 (full view + md5, as ConditionalGetMiddleware)"


def run(bench):
    daphne, world = bench.daphne, bench.world
    auth = {"Authorization": f"Token {world.organizer_token}"}
    bare = throughput(daphne.url("/bench/bare/"))
    bench.shared["bare"] = bare
    rows = []
    for label, path in [
        ("one event", f"/api/v1/events/{world.event_id}/"),
        ("list of 50 sessions", f"/api/v1/events/{world.event_id}/sessions/"),
    ]:
        ours_etag = requests.get(daphne.url(path), headers=auth, timeout=30).headers["ETag"]
        hashed_url = daphne.url(f"/bench/hash{path}")
        hash_etag = requests.get(hashed_url, headers=auth, timeout=30).headers["ETag"]
        full = throughput(daphne.url(path), headers=auth)
        not_modified = throughput(daphne.url(path), headers={**auth, "If-None-Match": ours_etag}, expect=304)
        hashed_full = throughput(hashed_url, headers=auth)
        hashed_not_modified = throughput(hashed_url, headers={**auth, "If-None-Match": hash_etag}, expect=304)
        rows += [
            Row("API", f"GET {label}, 200", full.rps, "req/s", "bare Django JSON view (floor)", bare.rps, HIGHER),
            Row(
                "ETags",
                f"GET {label}, 304 from version counters",
                not_modified.rps,
                "req/s",
                BODY_HASH_304,
                hashed_not_modified.rps,
                HIGHER,
            ),
            Row(
                "ETags",
                f"GET {label}, 200 with counter ETag",
                full.rps,
                "req/s",
                BODY_HASH_304,
                hashed_not_modified.rps,
            ),
            Row(
                "ETags",
                f"GET {label}, 200 with body-hash ETag",
                hashed_full.rps,
                "req/s",
                BODY_HASH_304,
                hashed_not_modified.rps,
            ),
        ]
    return rows
