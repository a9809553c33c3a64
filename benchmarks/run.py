"""``make bench``: run every benchmarks/bench_*.py against a daphne on PostgreSQL + Redis, write RESULTS.md.

It creates a database of its own (``bench_openevent_<pid>``, dropped at the
end) on the server of BENCH_DATABASE_URL (default: the local PostgreSQL),
uses REDIS_URL (default: the local Redis) with a channel prefix of its own,
starts one daphne, seeds the data, runs each script and writes one table to
benchmarks/RESULTS.md (overwritten). ``--only conditional,queries`` runs
some scripts (and then writes to benchmarks/.work/ instead).
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"


def scripts(only=None):
    names = sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))
    return [name for name in names if not only or name in only]


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
        "DJANGO_SITE_URL": "http://127.0.0.1",
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_MEDIA_ROOT": str(work / "media"),
        "DJANGO_LOG_LEVEL": "ERROR",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CHANNELS_PREFIX": f"bench{os.getpid()}",
    }
    os.environ.update(env)
    return env


def format_value(value, unit):
    if value is None:
        return "—"
    if unit in ("queries", "sockets", "requests", "errors", "lost", "received"):
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


def write_results(path, rows, info, started, failures):
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
        "- server: one daphne process (DEBUG off), PostgreSQL and Redis on 127.0.0.1, load from loopback",
        "",
        table(rows),
        "",
        "How each figure is made: see the docstring of its script in `benchmarks/` (`bench_<area>.py`).",
    ]
    if failures:
        header += ["", "## Scripts that failed", "", *(f"- `{name}`: {error}" for name, error in failures)]
    path.write_text("\n".join(header) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated script names (e.g. conditional,queries)")
    parser.add_argument("--load-seconds", type=int, default=60)
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `apt-get install -y wrk` (.ci/run installs it).")

    started = datetime.now(UTC)
    work = HERE / ".work" / str(os.getpid())
    work.mkdir(parents=True, exist_ok=True)
    server_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    database = f"bench_openevent_{os.getpid()}"
    with admin_connection(server_url) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    env = prepare_environment(with_database(server_url, database), redis_url, work)
    daphne = None
    try:
        import django

        sys.path.insert(0, str(ROOT))
        django.setup()
        from django.core.management import call_command

        from benchmarks import harness, world
        from core.tests.processes import Daphne

        print(f"Benchmark database {database}: migrating and seeding…", flush=True)
        call_command("migrate", verbosity=0)
        seeded = world.build()
        daphne = Daphne(env=env, log_path=work / "daphne.log").start()
        bench = harness.Bench(daphne=daphne, env=env, work=work, world=seeded, load_seconds=args.load_seconds)
        rows, failures = [], []
        for name in scripts(only):
            print(f"- {name}…", flush=True)
            began = time.monotonic()
            try:
                rows += importlib.import_module(f"benchmarks.bench_{name}").run(bench)
            except Exception as error:  # one failing script must not lose the others' figures
                traceback.print_exc()
                failures.append((name, f"{type(error).__name__}: {error}"))
            print(f"  {time.monotonic() - began:.0f} s", flush=True)
        output = RESULTS if only is None else work / "RESULTS.md"
        write_results(output, rows, harness.machine(), started, failures)
        print(f"\nWrote {output}\n")
        print(output.read_text())
        return 1 if failures else 0
    finally:
        if daphne is not None:
            daphne.stop()
        from django.db import connections

        connections.close_all()
        with admin_connection(server_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
