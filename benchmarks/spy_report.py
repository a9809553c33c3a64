"""Summarise a py-spy profile of a gunicorn worker under wrk: where its CPU time goes, by part of the request.

Record a worker while wrk loads it (benchmarks/README.md, "Profiling under
load"), in py-spy's collapsed format:

    py-spy record --pid <worker> --duration 10 --rate 200 --format raw -o profile.txt --nonblocking

then ``python -m benchmarks.spy_report profile.txt``. Each part is the share
of the samples whose stack passes through a frame of it (innermost part
wins, so the parts add up to the whole); py-spy leaves out the time the
worker waits on a socket, so this is CPU time: the database's own work is in
PostgreSQL's processes, not here.
"""

import re
import sys
from collections import Counter
from pathlib import Path

# (part, pattern of a frame), from the innermost to the outermost: a sample counts for the first that matches.
PARTS = [
    ("psycopg: send the query, read the result", r"\(psycopg/"),
    ("ORM: compile SQL", r"\(django/db/models/sql/compiler\.py"),
    ("ORM: build model instances, querysets", r"\(django/db/models/"),
    ("Django's database wrapper (cursor, health check)", r"\(django/db/"),
    ("serializers (DRF fields)", r"\(rest_framework/(serializers|fields|relations)\.py"),
    ("JSON rendering", r"\(rest_framework/renderers\.py|\(json/"),
    ("our code: token, engine, ETag, views", r"\((core|permissions|events|tickets|notifications)/"),
    ("DRF: request, negotiation, permissions, response", r"\(rest_framework/"),
    ("URL resolving", r"\(django/urls/"),
    ("Django: middleware and handler", r"\(django/|\(whitenoise/"),
    ("gunicorn: accept, parse HTTP, write the answer", r"\(gunicorn/"),
]


def parts_of(path):
    """Return ({part: samples}, total samples) of a py-spy raw (collapsed) file."""
    counts, total = Counter(), 0
    compiled = [(name, re.compile(pattern)) for name, pattern in PARTS]
    for line in Path(path).read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not samples.isdigit():
            continue
        samples = int(samples)
        total += samples
        counts[innermost_part(stack.split(";"), compiled)] += samples
    return counts, total


def innermost_part(frames, compiled):
    for frame in reversed(frames):
        for name, pattern in compiled:
            if pattern.search(frame):
                return name
    return "other (interpreter, standard library)"


def main(argv=None):
    [path] = (argv if argv is not None else sys.argv[1:]) or [None]
    if path is None:
        sys.exit(__doc__)
    counts, total = parts_of(path)
    print(f"| part of the request | share of the worker's CPU ({total:,} samples) |\n|---|---|")
    for name, samples in counts.most_common():
        print(f"| {name} | {samples / total:.0%} |")


if __name__ == "__main__":
    main()
