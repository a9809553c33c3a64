"""What the benchmark scripts share: a row of the table, wrk, query counting, percentiles, sockets.

A benchmark script is a module ``benchmarks/bench_<name>.py`` with a function
``run(bench)`` that returns a list of ``Row``; ``benchmarks/run.py`` finds
them, gives them a ``Bench`` and writes every row into one table.
"""

import asyncio
import json
import math
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import connect

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

    @property
    def ratio(self):
        if self.value is None or not self.baseline_value:
            return None
        return self.value / self.baseline_value


@dataclass
class Bench:
    """What a script gets: the daphne under test, the seeded world, a scratch folder, the run's bounds."""

    daphne: object
    env: dict
    work: Path
    world: object
    load_seconds: int
    shared: dict = field(default_factory=dict)  # figures one script measures and another reuses

    def start_daphne(self, name):
        """Start another daphne like the one under test (same database, Redis and settings)."""
        from core.tests.processes import Daphne

        return Daphne(env=self.env, log_path=self.work / f"daphne-{name}.log").start()


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
    result = wrk(url, headers=headers, seconds=seconds, connections=connections)
    unexpected = {status: count for status, count in result.statuses.items() if status != expect}
    if unexpected or result.socket_errors:
        raise RuntimeError(
            f"{url}: expected only {expect}, got {result.statuses}, {result.socket_errors} socket errors"
        )
    return result


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


async def open_sockets(daphne, cookies, *, concurrency=50, timeout=30):
    """Open one authenticated notifications socket per cookie; return (sockets, snapshots)."""
    gate = asyncio.Semaphore(concurrency)

    async def open_one(cookie):
        async with gate:
            socket = await connect(
                daphne.ws_url(),
                additional_headers={"Cookie": cookie},
                origin=daphne.origin,
                open_timeout=timeout,
                max_queue=None,
            )
            snapshot = json.loads(await asyncio.wait_for(socket.recv(), timeout))
            return socket, snapshot

    opened = await asyncio.gather(*(open_one(cookie) for cookie in cookies))
    return [socket for socket, _ in opened], [snapshot for _, snapshot in opened]


async def close_sockets(sockets):
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)


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
