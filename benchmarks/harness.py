"""What the benchmark scripts share: a row of the table, wrk, query counting, percentiles, sockets, connections.

A benchmark script is a module ``benchmarks/bench_<name>.py`` with a function
``run(bench)`` that returns a list of ``Row``; ``benchmarks/run.py`` finds
them, gives them a ``Bench`` and writes every row into one table.
"""

import json
import math
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

WRK_SCRIPT = Path(__file__).with_name("wrk") / "report.lua"
HIGHER, LOWER = "higher", "lower"


@dataclass
class Row:
    """One figure of the table, next to its baseline measured (or computed) in the same run."""

    area: str
    measurement: str
    value: float | None
    unit: str
    baseline: str
    baseline_value: float | None
    better: str = HIGHER
    note: str = ""
    # A goal of the project for this figure: the ratio to reach (``better`` says from which side),
    # or, when the baseline is the target itself (0 errors), the value not to pass.
    target: float | None = None

    @property
    def ratio(self):
        if self.value is None or not self.baseline_value:
            return None
        return self.value / self.baseline_value

    @property
    def target_met(self):
        if self.target is None or self.value is None:
            return None
        measured = self.ratio if self.baseline_value else self.value
        if measured is None:
            return None
        return measured >= self.target if self.better == HIGHER else measured <= self.target


@dataclass
class Bench:
    """What a script gets: the servers under test, the seeded world, a scratch folder, the run's bounds.

    Each server runs as production runs it, one process each: ``web`` is
    gunicorn with one sync worker (HTTP), ``daphne`` a socket server, ``floor``
    the same gunicorn serving benchmarks/floor.py (bare Django, no
    middleware), ``peer`` pretalx on gunicorn with one sync worker (None if
    it could not start: ``peer_error`` says why).
    """

    web: object
    daphne: object
    floor: object
    peer: object
    env: dict
    work: Path
    world: object
    load_seconds: int
    database: str  # the benchmark database's name
    server_url: str  # the PostgreSQL server's URL (maintenance database)
    peer_error: str = ""
    shared: dict = field(default_factory=dict)  # figures one script measures and another reuses

    def start_daphne(self, name, **env):
        """Start another daphne like the one under test (same database, Redis and settings, plus ``env``)."""
        from core.tests.processes import Daphne

        return Daphne(env={**self.env, **env}, log_path=self.work / f"daphne-{name}.log").start()

    def start_web(self, name, *, workers=1, **env):
        """Start another gunicorn like the one under test, with ``workers`` sync workers."""
        from core.tests.processes import Gunicorn

        return Gunicorn(env={**self.env, **env}, log_path=self.work / f"gunicorn-{name}.log", workers=workers).start()

    def connections(self):
        """A ConnectionSampler of the benchmark database."""
        return ConnectionSampler(self.server_url, self.database)


@dataclass
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    statuses: dict

    @property
    def rps(self):
        return self.requests / self.seconds if self.seconds else 0.0

    def count(self, predicate):
        return sum(count for status, count in self.statuses.items() if predicate(status))


def wrk(url, *, headers=None, seconds=5, connections=4, threads=1, max_requests=30_000, script=WRK_SCRIPT, env=None):
    """Run wrk against the URL (bounded by seconds and by max_requests) and return its figures."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    run_env = {**os.environ, "WRK_MAX_REQUESTS": str(max(1, max_requests // threads)), **(env or {})}
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, env=run_env, check=True)
    line = next((line for line in result.stdout.splitlines() if line.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no report:\n{result.stdout}\n{result.stderr}")
    report = json.loads(line.removeprefix("WRK_JSON "))
    return WrkResult(
        requests=report["requests"],
        seconds=report["duration_us"] / 1e6,
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        max_ms=report["max_us"] / 1000,
        socket_errors=sum(report[key] for key in ("connect_errors", "read_errors", "write_errors", "timeouts")),
        statuses={int(status): count for status, count in report["statuses"].items()},
    )


def throughput(url, *, headers=None, expect=200, seconds=5, connections=4):
    """Warm up for a second, then measure; raise unless every response had the expected status."""
    wrk(url, headers=headers, seconds=1, connections=connections)
    return checked(url, wrk(url, headers=headers, seconds=seconds, connections=connections), expect)


def checked(url, result, expect):
    unexpected = {status: count for status, count in result.statuses.items() if status != expect}
    if unexpected or result.socket_errors:
        raise RuntimeError(
            f"{url}: expected only {expect}, got {result.statuses}, {result.socket_errors} socket errors"
        )
    return result


@dataclass
class Case:
    """One URL to measure in ``compare()``."""

    url: str
    headers: dict = field(default_factory=dict)
    expect: int = 200


def compare(cases, *, rounds=2, seconds=4, connections=8):
    """Measure every case, interleaved: each round runs them all once; return {name: best WrkResult}.

    On a shared machine another process can take a core for a while: the
    best of rounds taken in turns is what each server can do, and a noisy
    moment does not fall on one side of a ratio only.
    """
    for case in cases.values():  # warm-up: imports, caches, the first connections
        wrk(case.url, headers=case.headers, seconds=1, connections=connections)
    best = {}
    for _ in range(rounds):
        for name, case in cases.items():
            result = checked(
                case.url, wrk(case.url, headers=case.headers, seconds=seconds, connections=connections), case.expect
            )
            if name not in best or result.rps > best[name].rps:
                best[name] = result
    return best


class ConnectionSampler:
    """Sample pg_stat_activity for one database, from the maintenance database, every ``interval`` seconds.

    ``peak`` is the most connections seen at once, ``peak_by_application``
    the same per application_name, ``opened`` the number of distinct
    backends (pid and start time) seen: connections opened during the sample
    (``opened_by(application)`` for one application_name).
    """

    def __init__(self, server_url, database, interval=0.05):
        self.server_url, self.database, self.interval = server_url, database, interval
        self.peak, self.peak_by_application, self.samples = 0, {}, 0
        self.backends = set()  # (pid, backend_start, application_name)
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self):
        self._connection = psycopg.connect(self.server_url, autocommit=True)
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(timeout=10)
        self._sample()
        self._connection.close()

    def _run(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self):
        rows = self._connection.execute(
            "SELECT pid, backend_start, application_name FROM pg_stat_activity WHERE datname = %s",
            [self.database],
        ).fetchall()
        self.samples += 1
        self.peak = max(self.peak, len(rows))
        by_application = {}
        for pid, started, application in rows:
            self.backends.add((pid, started, application))
            by_application[application] = by_application.get(application, 0) + 1
        for application, count in by_application.items():
            self.peak_by_application[application] = max(self.peak_by_application.get(application, 0), count)

    @property
    def opened(self):
        return len(self.backends)

    def opened_by(self, application):
        return sum(1 for _pid, _started, name in self.backends if name == application)


class PostgresLog:
    """The server's log file, read from where it ended when this object was made (``since()``).

    Found with pg_current_logfile() when the logging collector runs, else in
    the ``Log file`` column of Debian's pg_lsclusters for the server's port
    (the cluster's stderr). ``path`` is None if neither names a readable file.
    """

    def __init__(self, server_url):
        self.path = self._find(server_url)
        self.offset = self.path.stat().st_size if self.path else 0

    @staticmethod
    def _find(server_url):
        with psycopg.connect(server_url, autocommit=True) as connection:
            current, data_directory, port = connection.execute(
                "SELECT pg_current_logfile(), current_setting('data_directory'), current_setting('port')"
            ).fetchone()
        if current:
            path = Path(data_directory) / current
        else:
            try:
                listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, timeout=10)
            except OSError:
                return None
            found = [line.split() for line in listing.stdout.splitlines() if line.split()[2:3] == [port]]
            path = Path(found[0][-1]) if found and len(found[0]) >= 7 else None
        return path if path and os.access(path, os.R_OK) else None

    def since(self):
        if self.path is None:
            return None
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            return log.read().decode(errors="replace")


def count_queries(function):
    """Return (number of queries, seconds, result) of calling the function."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = function()
        seconds = time.perf_counter() - started
    return len(captured.captured_queries), seconds, result


def percentile(values, percent):
    """Return the nearest-rank percentile of the values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def machine():
    """Return what the table's header says about the machine."""
    from django.db import connection
    from redis import Redis

    model = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        [postgres] = cursor.fetchone()
    redis = Redis.from_url(os.environ["REDIS_URL"]).info("server")["redis_version"]
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(" [")[0]
    return {
        "cpus": os.cpu_count(),
        "model": model.group(1).strip() if model else "unknown",
        "postgres": postgres,
        "redis": redis,
        "wrk": wrk_version.strip(),
    }
