"""Profile the request path in-process: what each API answer and each middleware costs, and why.

``python -m benchmarks.profile_request_path`` creates a database of its own
on the local PostgreSQL (as ``make bench`` does; dropped at the end), seeds
one event with 50 sessions, and calls Django's WSGI handler directly, as a
gunicorn worker does, with persistent connections (as eventsite/wsgi.py sets
them). No server, no network, no load generator: on a shared machine the
minimum of many interleaved rounds is the figure that moves least.

- ``requests``: microseconds per answer (minimum over rounds), wall-clock
  and this process's CPU time (which other processes on the machine do not
  inflate; the database's work is in PostgreSQL's processes), and its
  queries;
- ``middleware``: the bare view with our middleware added one by one;
- ``--cprofile PATH_NAME``: cProfile of 500 answers of one path (e.g.
  ``event-304``), the functions that cost most, by own and cumulative time.

benchmarks/README.md records what this found and what was changed.
"""

import argparse
import cProfile
import gc
import io
import logging
import os
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def environ(path, headers):
    env = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
    }
    env.update({f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()})
    return env


class Caller:
    """Call a WSGI application as a server would and return (status, headers)."""

    def __init__(self, application):
        self.application = application

    def __call__(self, path, headers):
        answer = {}

        def start_response(status, response_headers):
            answer["status"], answer["headers"] = int(status.split()[0]), dict(response_headers)

        body = self.application(environ(path, headers), start_response)
        b"".join(body)
        body.close()
        return answer["status"], answer["headers"]


def best_of(cases, rounds, batch, clock=time.perf_counter):
    """Run every case ``batch`` times per round, interleaved; return {name: minimum microseconds per call}."""
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(rounds):
        for name, call in cases.items():
            started = clock()
            for _ in range(batch):
                call()
            best[name] = min(best[name], (clock() - started) / batch * 1e6)
    return best


def paths(world, caller):
    """The answers measured: {name: (path, headers, expected status)}."""
    from benchmarks.world import SESSIONS

    auth = {"Authorization": f"Token {world.organizer_token}"}
    event, sessions = f"/api/v1/events/{world.event_id}/", f"/api/v1/events/{world.event_id}/sessions/"
    found = {
        "bare": ("/bench/bare/", {}, 200),
        "event-200": (event, auth, 200),
        "event-304": (event, auth, 304),
        "least-304": (f"/bench/least304/{world.event_id}/", auth, 304),
        f"list{SESSIONS}-200": (sessions, auth, 200),
        f"list{SESSIONS}-304": (sessions, auth, 304),
    }
    for name, (path, headers, status) in list(found.items()):
        if status == 304:
            _status, response_headers = caller(path, headers)
            found[name] = (path, {**headers, "If-None-Match": response_headers["ETag"]}, 304)
    return found


def measure_requests(world, rounds):
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    caller = Caller(WSGIHandler())
    cases = paths(world, caller)
    for name, (path, headers, status) in cases.items():
        got, _ = caller(path, headers)
        if got != status:
            raise RuntimeError(f"{name}: {path} answered {got}, not {status}")
    calls = {name: (lambda p=path, h=headers: caller(p, h)) for name, (path, headers, _s) in cases.items()}
    wall = best_of(calls, rounds, batch=50)
    cpu = best_of(calls, rounds, batch=50, clock=time.process_time)
    print("\n| answer | µs per answer, wall (min) | µs per answer, CPU of this process (min) | queries |")
    print("|---|---|---|---|")
    for name, (path, headers, _status) in cases.items():
        with CaptureQueriesContext(connection) as queries:
            caller(path, headers)
        print(f"| {name} | {wall[name]:,.0f} | {cpu[name]:,.0f} | {len(queries)} |")


def measure_middleware(rounds):
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    stacks = {"(none)": []}
    for index, dotted in enumerate(settings.MIDDLEWARE):
        stacks[f"+ {dotted.rsplit('.', 1)[1]}"] = settings.MIDDLEWARE[: index + 1]
    callers = {}
    for name, stack in stacks.items():
        with override_settings(MIDDLEWARE=stack):
            callers[name] = Caller(WSGIHandler())
    calls = {name: (lambda c=c: c("/bench/bare/", {})) for name, c in callers.items()}
    timings = best_of(calls, rounds, batch=300, clock=time.process_time)
    print("\n| bare view, middleware so far | µs CPU per answer (min) | this middleware |\n|---|---|---|")
    previous = None
    for name, micros in timings.items():
        step = "" if previous is None else f"{micros - previous:+.1f}"
        print(f"| {name} | {micros:.1f} | {step} |")
        previous = micros


def profile(world, name, count=500, lines=30):
    from django.core.handlers.wsgi import WSGIHandler

    caller = Caller(WSGIHandler())
    path, headers, _status = paths(world, caller)[name]
    for _ in range(50):
        caller(path, headers)
    gc.collect()
    gc.freeze()  # as a gunicorn worker does once it has started (deploy/gunicorn.conf.py)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        caller(path, headers)
    profiler.disable()
    for order in ("tottime", "cumulative"):
        print(f"\n## {name}: {count} answers, by {order}\n")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats(order).print_stats(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--cprofile", help="the answer to profile, e.g. event-304 (see the requests table)")
    parser.add_argument("--lines", type=int, default=30, help="functions to show per ordering (--cprofile)")
    args = parser.parse_args(argv)

    from benchmarks.run import admin_connection, prepare_environment, with_database

    server_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    database = f"bench_profile_{os.getpid()}"
    work = HERE / ".work" / f"profile-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    with admin_connection(server_url) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        prepare_environment(
            with_database(server_url, database), os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), work
        )
        os.environ["DATABASE_CONN_MAX_AGE"] = "600"  # as a gunicorn worker holds it (eventsite/wsgi.py)
        sys.path.insert(0, str(HERE.parent))
        import django

        django.setup()
        logging.disable(logging.WARNING)  # STATIC_ROOT is empty: whitenoise warns once per handler
        from django.core.management import call_command

        from benchmarks import world

        call_command("migrate", verbosity=0)
        seeded = world.build(socket_user_count=0)
        if args.cprofile:
            profile(seeded, args.cprofile, lines=args.lines)
        else:
            measure_requests(seeded, args.rounds)
            measure_middleware(args.rounds)
    finally:
        from django.db import connections

        connections.close_all()
        with admin_connection(server_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
