"""``make bench``: run every benchmarks/bench_*.py against the production servers on PostgreSQL + Redis.

It creates a database of its own (``bench_openevent_<pid>``, dropped at the
end) on the server of BENCH_DATABASE_URL (default: the local PostgreSQL),
uses REDIS_URL (default: the local Redis) with a channel prefix of its own,
seeds the data and starts, one process each: gunicorn with one sync worker
(HTTP, as deploy/ runs it), daphne (sockets), the same gunicorn serving
benchmarks/floor.py (bare Django), and pretalx 2026.2.1 on gunicorn with one
sync worker (benchmarks/peer_pretalx.py). It runs each script and writes one
table to benchmarks/RESULTS.md (overwritten). ``--only api,queries`` runs
some scripts (and then writes to benchmarks/.work/ instead); the scripts of
``OPT_IN`` (``scale``) run only when named there.
"""

import argparse
import importlib
import os
import platform
import shutil
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from benchmarks.harness import HIGHER

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"


# Scripts run only when named with --only: too long for ``make bench`` (which must stay under 10 minutes).
OPT_IN = {"scale"}


def scripts(only=None):
    names = sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))
    return [name for name in names if name in only] if only else [name for name in names if name not in OPT_IN]


def admin_connection(server_url):
    parts = urlsplit(server_url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname=parts.path.lstrip("/") or "postgres",
        autocommit=True,
    )


def with_database(server_url, name):
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def prepare_environment(database_url, redis_url, work):
    """Set the variables of the run in this process (the daphne gets the same ones); return them."""
    from core.tests.processes import SECRET_KEY

    static_root = work / "static"
    static_root.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SITE_URL": "http://127.0.0.1",  # required with DEBUG off; links in feeds and emails
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_MEDIA_ROOT": str(work / "media"),
        "DJANGO_LOG_LEVEL": "ERROR",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CHANNELS_PREFIX": f"bench{os.getpid()}",
        # As deploy/env.example: every process of the run (servers, this one) shares the write generation.
        "READ_CACHE_FILE": str(work / "write-generation"),
    }
    os.environ.update(env)
    return env


def format_value(value, unit):
    if value is None:
        return "—"
    if unit in ("queries", "sockets", "requests", "errors", "lost", "received", "connections", "lines", "writes"):
        return f"{value:,.0f} {unit}"
    return f"{value:,.1f} {unit}" if value >= 100 else f"{value:,.2f} {unit}"


def table(rows):
    lines = [
        "| # | area | measurement | value | baseline (same run) | baseline value | ratio | better |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for number, row in enumerate(rows, start=1):
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}x"
        measurement = f"{row.measurement} ({row.note})" if row.note else row.measurement
        lines.append(
            f"| {number} | {row.area} | {measurement} | {format_value(row.value, row.unit)} | {row.baseline} | "
            f"{format_value(row.baseline_value, row.unit)} | {ratio} | {row.better} |"
        )
    return "\n".join(lines)


def targets(rows):
    """The lines of the "Targets" section: every row with a target, measured against it."""
    lines = ["| # | figure | measured | target | met |", "|---|---|---|---|---|"]
    for number, row in enumerate(rows, start=1):
        if row.target is None:
            continue
        if row.baseline_value:
            measured = "—" if row.ratio is None else f"{row.ratio:.2f}x {row.baseline}"
            goal = f"{'>=' if row.better == HIGHER else '<='} {row.target:g}x"
        else:
            measured = format_value(row.value, row.unit)
            goal = f"{'>=' if row.better == HIGHER else '<='} {format_value(row.target, row.unit)}"
        met = {True: "yes", False: "**no**", None: "—"}[row.target_met]
        lines.append(f"| {number} | {row.area}: {row.measurement} | {measured} | {goal} | {met} |")
    return lines


def write_results(path, rows, info, started, failures, loads):
    header = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks.run`) from one run; overwritten by the next.",
        "Every figure sits next to a baseline measured (or, for the original's query count, computed)",
        "in the same run on the same machine, so read the ratios rather than the absolute numbers:",
        "the machine is shared and the absolute figures move with its load. Nothing here is asserted.",
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC, {time.time() - started.timestamp():.0f} s",
        f"- machine: {info['cpus']} CPUs, {info['model']}",
        f"- Python {platform.python_version()}, PostgreSQL {info['postgres']}, Redis {info['redis']}, {info['wrk']}",
        "- servers, one process each, DEBUG off: gunicorn with one sync worker (HTTP, deploy/gunicorn.conf.py),",
        "  daphne (WebSockets), the floor (benchmarks/floor.py on the same gunicorn), pretalx 2026.2.1 on",
        "  gunicorn with one sync worker; PostgreSQL and Redis on 127.0.0.1, load from loopback (wrk)",
        f"- load average of the machine (1 min) before each script: {', '.join(loads)}"
        " (2 means both cores busy before we start)",
        "",
        table(rows),
        "",
        "## Targets",
        "",
        *targets(rows),
        "",
        "How each figure is made: see the docstring of its script in `benchmarks/` (`bench_<area>.py`);",
        "what the request path costs and why: `benchmarks/README.md`.",
    ]
    if failures:
        header += ["", "## Scripts that failed", "", *(f"- `{name}`: {error}" for name, error in failures)]
    path.write_text("\n".join(header) + "\n")


def start_peer(work, log):
    """Start pretalx (benchmarks/peer_pretalx.py); return (peer, None) or (None, why it could not start)."""
    from benchmarks.peer_pretalx import PretalxPeer

    try:
        return PretalxPeer(work / "pretalx", log=log).start(), ""
    except Exception as error:  # the other figures are still worth having
        traceback.print_exc()
        return None, f"{type(error).__name__}: {str(error)[:300]}"


def floor_environment(env):
    """The floor's environment: no settings module (it configures itself), nothing of ours."""
    return {"PATH": env["PATH"], "WEB_LOG_LEVEL": "warning"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated script names (e.g. api,queries)")
    parser.add_argument("--load-seconds", type=int, default=60)
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `apt-get install -y wrk` (.ci/run installs it).")
    if shutil.which("nginx") is None:
        sys.exit("nginx is not installed: `apt-get install -y nginx` (.ci/run installs it).")

    started = datetime.now(UTC)
    work = HERE / ".work" / str(os.getpid())
    work.mkdir(parents=True, exist_ok=True)
    server_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    database = f"bench_openevent_{os.getpid()}"
    with admin_connection(server_url) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    env = prepare_environment(with_database(server_url, database), redis_url, work)
    servers, peer, django_ready = [], None, False
    try:
        import django

        sys.path.insert(0, str(ROOT))
        django.setup()
        django_ready = True
        from django.core.management import call_command

        from benchmarks import harness, world
        from core.tests.processes import Daphne, Gunicorn

        print(f"Benchmark database {database}: migrating and seeding…", flush=True)
        call_command("migrate", verbosity=0)
        seeded = world.build()
        print("Starting gunicorn, daphne, the floor and pretalx…", flush=True)
        web = Gunicorn(env=env, log_path=work / "gunicorn.log", workers=1)
        daphne = Daphne(env=env, log_path=work / "daphne.log")
        floor = Gunicorn(
            env=floor_environment(env), log_path=work / "floor.log", workers=1, app="benchmarks.floor:application"
        )
        for server in (web, daphne, floor):
            servers.append(server.start())
        peer, peer_error = None, "not started (--only without api)"
        if "api" in scripts(only):
            peer, peer_error = start_peer(work, log=lambda line: print(f"  {line}", flush=True))
        if peer is not None:
            steps = ", ".join(f"{step} {seconds:.0f} s" for step, seconds in peer.timings.items())
            print(f"  pretalx {peer.version} ready ({steps})", flush=True)
        bench = harness.Bench(
            web=web,
            daphne=daphne,
            floor=floor,
            peer=peer,
            peer_error=peer_error,
            env=env,
            work=work,
            world=seeded,
            load_seconds=args.load_seconds,
            database=database,
            server_url=server_url,
        )
        rows, failures, loads = [], [], []
        for name in scripts(only):
            loads.append(f"{name} {os.getloadavg()[0]:.1f}")
            print(f"- {name}…", flush=True)
            began = time.monotonic()
            try:
                rows += importlib.import_module(f"benchmarks.bench_{name}").run(bench)
            except Exception as error:  # one failing script must not lose the others' figures
                traceback.print_exc()
                failures.append((name, f"{type(error).__name__}: {error}"))
            print(f"  {time.monotonic() - began:.0f} s", flush=True)
        loads.append(f"end {os.getloadavg()[0]:.1f}")
        output = RESULTS if only is None else work / "RESULTS.md"
        write_results(output, rows, harness.machine(), started, failures, loads)
        print(f"\nWrote {output}\n")
        print(output.read_text())
        return 1 if failures else 0
    finally:
        for server in servers:
            server.stop()
        if peer is not None:
            peer.stop()
        if django_ready:  # settings that fail to load must not keep the database from being dropped
            from django.db import connections

            connections.close_all()
        with admin_connection(server_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
