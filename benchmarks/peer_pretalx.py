"""pretalx 2026.2.1 as a peer: installed, seeded and served next to our daphne in the same benchmark run.

Figures of our own server mean little alone: the same machine, at the same
moment, serving a comparable event through a mature project of the same kind
gives them a yardstick. pretalx (a conference planner on Django, like us)
is that peer. ``PretalxPeer`` makes it ready to be measured:

1. install: pretalx from PyPI into a virtualenv of its own, with a Python
   >= 3.13 (pretalx needs it; ours may be older), under
   ``${XDG_CACHE_HOME:-~/.cache}/openevent-bench/pretalx-2026.2.1/``, with its
   static files built once by ``pretalx rebuild``; later runs reuse it;
2. configure: a pretalx.cfg in the caller's work folder: DEBUG off, a
   PostgreSQL database of its own (``bench_pretalx_<pid>``, dropped on stop)
   or SQLite, and a private redis-server on a free loopback port;
3. seed: benchmarks/pretalx_seed.py, run by pretalx's interpreter, migrates
   and creates one live event with 50 confirmed, scheduled talks, a released
   schedule and a read-only API token, through pretalx's own models;
4. run: gunicorn with one sync worker on a free loopback port, as pretalx's
   deployment guide runs it (without the reverse proxy in front).

Only the standard library is used here: our virtualenv must not depend on
pretalx's; everything pretalx-side runs in its own interpreter.

``python -m benchmarks.peer_pretalx`` starts the peer in a temporary folder,
fetches each URL, runs wrk against the event and the talk list, and stops
everything (processes and database).
"""

import contextlib
import fcntl
import itertools
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from core.tests.processes import free_port, group_alive, stop_process, wait_for_port

PRETALX_VERSION = "2026.2.1"
# Pinned, so that every machine measures the same peer; a change here makes a new venv.
REQUIREMENTS = (f"pretalx=={PRETALX_VERSION}", "gunicorn==27.0.1", "psycopg[binary]==3.3.9")
MIN_PYTHON = (3, 13)
EVENT_SLUG = "benchconf"
TALKS = 50  # as many as benchmarks/pretalx_seed.py makes
SEED_SCRIPT = Path(__file__).with_name("pretalx_seed.py")
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"


# --- processes -------------------------------------------------------------------------------


def start_process(command, *, log_path, env, cwd):
    """Start a server in a session of its own, so that stopping its group also stops its children."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def tail(path, lines=30):
    path = Path(path)
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def run_logged(command, *, log_path, env, cwd=None, timeout):
    """Run a command to completion, its output appended to a log; raise with the log's end if it fails."""
    with open(log_path, "ab") as log:
        result = subprocess.run(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout, check=False
        )
    if result.returncode:
        raise RuntimeError(f"{' '.join(map(str, command))} failed ({result.returncode}):\n{tail(log_path)}")


# --- install ---------------------------------------------------------------------------------


def cache_home():
    """``${XDG_CACHE_HOME:-~/.cache}/openevent-bench/pretalx-<version>``: kept between runs, like pip's cache."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "openevent-bench" / f"pretalx-{PRETALX_VERSION}"


def python_candidates():
    """Interpreters to try, in order: $PRETALX_PYTHON, the usual names, then pyenv's versions (newest first)."""
    if os.environ.get("PRETALX_PYTHON"):
        yield os.environ["PRETALX_PYTHON"]
    for name in ("python3.14", "python3.13", "python3"):
        if path := shutil.which(name):
            yield path
    # pyenv's shims answer "command not found" unless its version is selected; its binaries work as they are.
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")

    def version_key(path):
        return tuple(int(part) if part.isdigit() else 0 for part in path.parent.parent.name.split("."))

    yield from map(str, sorted(pyenv_root.glob("versions/3.*/bin/python"), key=version_key, reverse=True))


def find_python():
    """Return the first interpreter that really runs and is recent enough for pretalx."""
    check = f"import sys; sys.exit(sys.version_info < {MIN_PYTHON!r})"
    for candidate in python_candidates():
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            if subprocess.run([candidate, "-c", check], capture_output=True, timeout=30).returncode == 0:
                return candidate
    raise RuntimeError(
        f"pretalx {PRETALX_VERSION} needs Python >= {'.'.join(map(str, MIN_PYTHON))}; none was found "
        "(set PRETALX_PYTHON=/path/to/python3.13)"
    )


def install_env():
    """Our environment (pip's configuration: index, certificates) without what would point pip at our venv."""
    return {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def clean_env(**extra):
    """An environment without our variables: DJANGO_SETTINGS_MODULE or PRETALX_* of ours must not leak in."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env.update({key: str(value) for key, value in extra.items()})
    return env


def pretalx_version(python):
    """Return the version of pretalx that the interpreter imports, or None."""
    try:
        result = subprocess.run(
            [python, "-c", "import pretalx; print(pretalx.__version__)"],
            capture_output=True,
            text=True,
            timeout=60,
            env=clean_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def is_installed(python, marker):
    """True if the venv was completed with today's REQUIREMENTS and imports the right pretalx."""
    try:
        made_with = json.loads(marker.read_text()).get("requirements")
    except (OSError, ValueError):
        return False
    return made_with == list(REQUIREMENTS) and pretalx_version(python) == PRETALX_VERSION


def write_config(path, *, data, static, database, redis_url, site_url=None):
    """Write a pretalx.cfg (pretalx reads it through PRETALX_CONFIG_FILE)."""
    sections = {
        "filesystem": {"data": data, "static": static},
        "site": {"debug": "False", "url": site_url or "http://127.0.0.1", "secret": secrets.token_urlsafe(48)},
        "database": database,
        # Sessions live in Redis, as pretalx recommends; no Celery broker, so its tasks run inline.
        "redis": {"location": redis_url, "session": "True"},
        "locale": {"language_code": "en", "time_zone": "UTC"},
    }
    text = "".join(
        f"[{section}]\n" + "".join(f"{key} = {value}\n" for key, value in values.items()) + "\n"
        for section, values in sections.items()
    )
    Path(path).write_text(text)


def build_static(python, home, log_path):
    """``pretalx rebuild``: compile the translations and collect the static files, with the frontend
    that the wheel ships prebuilt (no npm needed). DEBUG off serves them through WhiteNoise's manifest."""
    build = home / "build"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    config = build / "pretalx.cfg"
    database = {"backend": "sqlite3", "name": build / "unused.sqlite3"}
    write_config(
        config, data=build / "data", static=home / "static", database=database, redis_url="redis://127.0.0.1:1/0"
    )
    env = clean_env(PRETALX_CONFIG_FILE=config, DJANGO_SETTINGS_MODULE="pretalx.settings", PRETALX_NO_INITIAL_LOG=1)
    run_logged([python, "-m", "pretalx", "rebuild", "--silent"], log_path=log_path, env=env, cwd=build, timeout=900)
    shutil.rmtree(build, ignore_errors=True)


def ensure_pretalx(log=print):
    """Install pretalx (once) and return (its venv's python, True if it was installed now).

    A lock keeps two runs from building the same venv at once; the marker is
    written last, so a half-made venv is made again on the next run.
    """
    home = cache_home()
    home.mkdir(parents=True, exist_ok=True)
    venv = home / "venv"
    python = venv / "bin" / "python"
    marker = venv / ".openevent-bench.json"
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_installed(python, marker):
            return python, False
        log(f"installing pretalx {PRETALX_VERSION} into {venv} (a few minutes, once)")
        shutil.rmtree(venv, ignore_errors=True)
        shutil.rmtree(home / "static", ignore_errors=True)
        install_log = home / "install.log"
        install_log.unlink(missing_ok=True)
        base_python = find_python()
        run_logged([base_python, "-m", "venv", venv], log_path=install_log, env=install_env(), timeout=300)
        pip = [python, "-m", "pip", "install", "--disable-pip-version-check", *REQUIREMENTS]
        run_logged(pip, log_path=install_log, env=install_env(), timeout=1800)
        build_static(python, home, install_log)
        if pretalx_version(python) != PRETALX_VERSION:
            raise RuntimeError(f"pretalx {PRETALX_VERSION} does not import from {venv}:\n{tail(install_log)}")
        marker.write_text(json.dumps({"requirements": list(REQUIREMENTS), "python": base_python}))
        return python, True


# --- the peer --------------------------------------------------------------------------------


class PretalxPeer:
    """pretalx serving one seeded event on a free loopback port; a context manager.

    ``work`` holds its configuration, data folder and logs. ``database`` is
    "postgresql" (a database of its own on the server of ``server_url``, by
    default $BENCH_DATABASE_URL or the local PostgreSQL) or "sqlite".
    """

    _instances = itertools.count()  # a second peer of the same process gets a database of its own

    def __init__(self, work, *, database="postgresql", server_url=None, log=print):
        if database not in ("postgresql", "sqlite"):
            raise ValueError(f"database must be 'postgresql' or 'sqlite', not {database!r}")
        self.work = Path(work)
        self.database = database
        self.server_url = server_url or os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER_URL)
        self.log = log
        number = next(self._instances)
        self.database_name = f"bench_pretalx_{os.getpid()}" + (f"_{number}" if number else "")
        self.python = None
        self.version = None
        self.port = None
        self.redis_port = None
        self.token = None
        self.redis = None
        self.gunicorn = None
        self.database_created = False
        self.timings = {}  # step -> seconds of the last start()
        self.migrate_seconds = None  # the part of the "seed" step that pretalx's migrations take
        self.installed_now = False

    # -- what the benchmarks use

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def headers(self):
        # DRF's TokenAuthentication, which pretalx's UserTokenAuthentication extends, reads "Token <key>".
        return {"Authorization": f"Token {self.token}"}

    @property
    def event_detail_url(self):
        return self.url(f"/api/events/{EVENT_SLUG}/")

    @property
    def talks_url(self):
        # The old /talks/ endpoint redirects here now; page_size is the page-number paginator's parameter
        # (default 50, at most 250), set explicitly so all talks come in one page whatever the default.
        return self.url(f"/api/events/{EVENT_SLUG}/submissions/?page_size={TALKS}")

    @property
    def schedule_exports(self):
        """The public schedule in the formats pretalx exports (agenda/urls.py: schedule.xml/.json/.ics/.xcal)."""
        return {
            "frab_xml": self.url(f"/{EVENT_SLUG}/schedule.xml"),
            "frab_json": self.url(f"/{EVENT_SLUG}/schedule.json"),
            "ical": self.url(f"/{EVENT_SLUG}/schedule.ics"),
            "xcal": self.url(f"/{EVENT_SLUG}/schedule.xcal"),
        }

    # -- life cycle

    def start(self):
        started = time.monotonic()
        try:
            self.python, self.installed_now = self._timed("install", lambda: ensure_pretalx(self.log))
            self.version = PRETALX_VERSION  # ensure_pretalx checked that the venv imports exactly this one
            self.work.mkdir(parents=True, exist_ok=True)
            self.port = free_port()
            self._timed("redis", self._start_redis)
            if self.database == "postgresql":
                self._timed("database", self._create_database)
            self._write_config()
            self._timed("seed", self._seed)
            self._timed("gunicorn", self._start_gunicorn)
            self._timed("check", self._check_talks)
        except BaseException:
            self.stop()
            raise
        self.timings["total"] = time.monotonic() - started
        return self

    def stop(self):
        """Stop gunicorn and redis (their process groups) and drop the database; safe to call twice."""
        stop_process(self.gunicorn, timeout=15)
        stop_process(self.redis, timeout=15)
        if self.database_created:
            self._admin_sql(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
            self.database_created = False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def leftovers(self):
        """What is still there after stop(): live process groups, the database. Empty when all is gone."""
        found = [
            f"{name} process group {process.pid}"
            for name, process in (("gunicorn", self.gunicorn), ("redis-server", self.redis))
            if process is not None and group_alive(process.pid)
        ]
        if self.database == "postgresql" and self.python and self._database_exists():
            found.append(f"database {self.database_name}")
        return found

    # -- steps of start()

    def _timed(self, step, function):
        started = time.monotonic()
        result = function()
        self.timings[step] = time.monotonic() - started
        return result

    def _env(self):
        # DJANGO_SETTINGS_MODULE is set, not defaulted: benchmarks/run.py exports ours into os.environ.
        return clean_env(
            PRETALX_CONFIG_FILE=self.work / "pretalx.cfg",
            DJANGO_SETTINGS_MODULE="pretalx.settings",
            PRETALX_NO_INITIAL_LOG=1,  # the banner of settings.py, printed by every process otherwise
        )

    def _start_redis(self):
        self.redis_port = free_port()
        command = [
            shutil.which("redis-server") or "redis-server",
            *("--bind", "127.0.0.1", "--port", str(self.redis_port)),
            *("--save", "", "--appendonly", "no"),
        ]
        self.redis = start_process(command, log_path=self.work / "redis.log", env=clean_env(), cwd=self.work)
        wait_for_port(self.redis_port, self.redis, timeout=15)

    def _server(self):
        parts = urlsplit(self.server_url)
        return {
            "host": parts.hostname or "127.0.0.1",
            "port": parts.port or 5432,
            "user": parts.username or "postgres",
            "password": parts.password or "",
            "dbname": parts.path.lstrip("/") or "postgres",
        }

    def _admin_sql(self, statement):
        """Run one statement on the server's maintenance database with pretalx's psycopg; return its rows."""
        code = (
            "import json, sys, psycopg\n"
            "with psycopg.connect(**json.loads(sys.argv[1]), autocommit=True, connect_timeout=10) as connection:\n"
            "    cursor = connection.execute(sys.argv[2])\n"
            "    print(json.dumps(cursor.fetchall() if cursor.description else []))\n"
        )
        result = subprocess.run(
            [self.python, "-c", code, json.dumps(self._server()), statement],
            capture_output=True,
            text=True,
            timeout=60,
            env=clean_env(),
        )
        if result.returncode:
            raise RuntimeError(f"{statement!r} failed:\n{result.stderr}")
        return json.loads(result.stdout)

    def _create_database(self):
        # A database of this pid that a killed earlier run left behind is not ours to keep.
        self._admin_sql(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
        self._admin_sql(f'CREATE DATABASE "{self.database_name}"')
        self.database_created = True

    def _database_exists(self):
        name = self.database_name.replace("'", "")
        return bool(self._admin_sql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))

    def _write_config(self):
        if self.database == "postgresql":
            server = self._server()
            database = {
                "backend": "postgresql",
                "name": self.database_name,
                "user": server["user"],
                "password": server["password"],
                "host": server["host"],
                "port": server["port"],
            }
        else:
            database = {"backend": "sqlite3", "name": self.work / "data" / "db.sqlite3"}
        write_config(
            self.work / "pretalx.cfg",
            data=self.work / "data",
            static=cache_home() / "static",
            database=database,
            redis_url=f"redis://127.0.0.1:{self.redis_port}/0",
            # pretalx serves an event's pages only on the site's host (or a custom domain): ours.
            site_url=self.url("").rstrip("/"),
        )

    def _seed(self):
        log_path = self.work / "seed.log"
        with open(log_path, "ab") as log:
            result = subprocess.run(
                [self.python, SEED_SCRIPT, EVENT_SLUG],
                cwd=self.work,
                env=self._env(),
                stdout=subprocess.PIPE,
                stderr=log,
                timeout=600,
                check=False,
            )
        output = result.stdout.decode(errors="replace")
        line = next((line for line in output.splitlines() if line.startswith("PRETALX_SEED ")), None)
        if result.returncode or line is None:
            raise RuntimeError(f"seeding pretalx failed ({result.returncode}):\n{output}\n{tail(log_path)}")
        summary = json.loads(line.removeprefix("PRETALX_SEED "))
        if summary["talks"] != TALKS:
            raise RuntimeError(f"the seed made {summary['talks']} scheduled talks, not {TALKS}")
        self.token = summary["token"]
        self.migrate_seconds = summary["migrate_seconds"]

    def _start_gunicorn(self):
        command = [
            self.python.parent / "gunicorn",
            "pretalx.wsgi",
            *("--workers", "1", "--bind", f"127.0.0.1:{self.port}"),
            # gunicorn 27 opens a control socket at ~/.gunicorn/gunicorn.ctl; two peers would share it.
            "--no-control-socket",
        ]
        log_path = self.work / "gunicorn.log"
        self.gunicorn = start_process(command, log_path=log_path, env=self._env(), cwd=self.work)
        wait_for_port(self.port, self.gunicorn, timeout=30)
        # The worker imports Django lazily after the bind: wait for a real answer (database and cache included).
        deadline = time.monotonic() + 60
        while True:
            status, _body = fetch(self.url("/healthcheck/"))
            if status == 200:
                return
            if self.gunicorn.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pretalx does not answer /healthcheck/ (last: {status}):\n{tail(log_path)}")
            time.sleep(0.1)

    def _check_talks(self):
        status, body = fetch(self.talks_url, headers=self.headers)
        results = json.loads(body).get("results", []) if status == 200 else []
        if len(results) != TALKS:
            raise RuntimeError(f"{self.talks_url} answered {status} with {len(results)} talks, not {TALKS}")


# --- fetching and measuring ------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to report, not to follow


# No proxy (the peer is on loopback) and no redirects.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def fetch(url, *, headers=None, timeout=30):
    """Return (status, body) of a GET; status 0 when nothing answered."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def wrk_rps(url, *, headers=None, threads=1, connections=8, seconds=5):
    """Run wrk and return (requests per second, non-2xx/3xx responses, socket errors)."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    rps = re.search(r"Requests/sec:\s*([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if not rps:
        raise RuntimeError(f"wrk printed no Requests/sec:\n{output}")
    return (
        float(rps.group(1)),
        int(non_2xx.group(1)) if non_2xx else 0,
        sum(map(int, errors.groups())) if errors else 0,
    )


def main():
    with tempfile.TemporaryDirectory(prefix="pretalx-peer-") as folder:
        peer = PretalxPeer(Path(folder))
        with peer:
            kind = "cold (installed now)" if peer.installed_now else "warm"
            steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in peer.timings.items())
            print(f"pretalx {peer.version} serving at {peer.url('/')} ({peer.database})")
            print(f"{kind} start: {peer.timings['total']:.1f} s ({steps})")
            print(f"  (the seed step includes pretalx's migrate: {peer.migrate_seconds:.1f} s)")
            urls = {"event_detail": peer.event_detail_url, "talks": peer.talks_url, **peer.schedule_exports}
            for name, url in urls.items():
                status, body = fetch(url, headers=peer.headers)
                extra = ""
                if name == "talks" and status == 200:
                    extra = f"  ({len(json.loads(body)['results'])} talks in the page)"
                print(f"  {name:<13} {status} {len(body):>7} bytes  {url}{extra}")
            print("wrk -t1 -c8 -d5s (one sync gunicorn worker):")
            for name, url in (("event_detail", peer.event_detail_url), ("talks", peer.talks_url)):
                rps, non_2xx, errors = wrk_rps(url, headers=peer.headers)
                print(f"  {name:<13} {rps:8.1f} req/s  non-2xx: {non_2xx}  socket errors: {errors}")
        left = peer.leftovers()
        print("after stop:", "nothing left (processes gone, database dropped)" if not left else ", ".join(left))
        return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
