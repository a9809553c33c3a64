"""Real server processes for tests and benchmarks: gunicorn, daphne, redis-server, task workers.

They run as production runs them: gunicorn (HTTP) with deploy/gunicorn.conf.py
and eventsite/wsgi.py, daphne (sockets) with eventsite/asgi.py. Every process
starts in a session of its own and is stopped with its whole process group,
so nothing outlives the test or benchmark that started it. Used by
deploy/tests (nginx in front of gunicorn and two daphne), the fault and fuzz
tests, the webhook tests (a task worker) and benchmarks/.
"""

import atexit
import contextlib
import functools
import http.client
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "real-process-test-secret-key-with-enough-length-0123456789abcdefghijkl"


def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on right now.

    Below the kernel's range of ephemeral ports (32768 and up by default): a port from that range can be
    taken by any outgoing connection (a worker connecting to PostgreSQL) before the server binds it.
    """
    low = min(_ephemeral_ports()[0], 32768)
    for _ in range(100):
        port = random.randrange(max(low - 12_000, 1025), low)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def _ephemeral_ports():
    try:
        return [int(part) for part in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()]
    except OSError:
        return [32768, 60999]


def wait_for_port(port, process, timeout=30):
    """Wait until something accepts connections on the port; raise if the process died first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


def stop_process(process, timeout=10):
    """Stop the process and its whole group: SIGTERM, then SIGKILL after ``timeout`` seconds (None: nothing)."""
    if process is None:
        return
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    # A gunicorn worker is in the group too and may outlive its master by a moment.
    deadline = time.monotonic() + timeout
    while group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if group_alive(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def group_alive(pgid):
    """Whether any process of the group is still there."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def database_url(database):
    """Return a DATABASE_URL for a settings.DATABASES entry (e.g. the test database)."""
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    return (
        f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )


def production_env(*, database_url, redis_url="", static_root=None, media_root=None, **extra):
    """Return the environment of a production-like process (DEBUG off, plain HTTP on loopback)."""
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SITE_URL": "http://127.0.0.1",
        "DATABASE_URL": database_url,
        "DJANGO_STATIC_ROOT": str(static_root or collected_static()),
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    if media_root:
        env["DJANGO_MEDIA_ROOT"] = str(media_root)
    env.update({key: str(value) for key, value in extra.items()})
    return env


@functools.cache
def collected_static():
    """Run collectstatic once per process into a temporary folder (DEBUG off needs the manifest)."""
    directory = Path(tempfile.mkdtemp(prefix="openevent-static-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    env = production_env(database_url="sqlite:///:memory:", static_root=directory)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    return directory


class Process:
    """A server process on a loopback port, logging to a file; use as a context manager."""

    def __init__(self, *, log_path, port=None, env=None):
        self.port = port or free_port()
        self.log_path = Path(log_path)
        self.env = env
        self.process = None

    def command(self):
        raise NotImplementedError

    def start(self, timeout=30):
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_for_port(self.port, self.process, timeout=timeout)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self):
        if self.process is not None:
            stop_process(self.process)

    @property
    def pid(self):
        return self.process.pid

    def log_text(self):
        return self.log_path.read_text() if self.log_path.exists() else ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


class Gunicorn(Process):
    """``gunicorn --config deploy/gunicorn.conf.py eventsite.wsgi`` (HTTP) with ``workers`` sync workers.

    ``start()`` returns once a worker answers (the master listens before its
    workers have imported Django). ``app`` serves another WSGI application
    on the same server (e.g. benchmarks/floor.py).
    """

    CONFIG = ROOT / "deploy" / "gunicorn.conf.py"

    def __init__(self, *, env, log_path, port=None, workers=1, app="eventsite.wsgi:application"):
        super().__init__(log_path=log_path, port=port, env=env)
        self.workers = workers
        self.app = app

    def command(self):
        return [
            sys.executable,
            "-m",
            "gunicorn",
            *("--config", str(self.CONFIG)),
            *("--workers", str(self.workers)),
            *("--bind", f"127.0.0.1:{self.port}"),
            self.app,
        ]

    def start(self, timeout=60):
        super().start(timeout=timeout)
        deadline = time.monotonic() + timeout
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                connection.close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"gunicorn on {self.port} never answered:\n{self.log_text()[-2000:]}") from None
                time.sleep(0.1)

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def worker_pids(self):
        """Return the pids of the workers (the master's children)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []


class Daphne(Process):
    """``python -m daphne eventsite.asgi:application`` (WebSockets, and HTTP) with the given environment.

    On PostgreSQL its connections come from psycopg's pool (eventsite/asgi.py
    turns DATABASE_POOL on), as in production.
    """

    def __init__(self, *, env, log_path, port=None, proxy_headers=False):
        super().__init__(log_path=log_path, port=port, env=env)
        self.proxy_headers = proxy_headers

    def command(self):
        flags = ["--proxy-headers"] if self.proxy_headers else []
        return [
            sys.executable,
            "-m",
            "daphne",
            *flags,
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            "eventsite.asgi:application",
        ]

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def ws_url(self, path="/ws/notifications/"):
        return f"ws://127.0.0.1:{self.port}{path}"

    @property
    def origin(self):
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self):
        """Return the resident memory of the daphne process in KiB (VmRSS of /proc/<pid>/status)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS line")


class Nginx(Process):
    """nginx with deploy/nginx's http and location files in front of a web server and socket servers.

    ``fronts`` maps a name to the socket-server ports its /ws/ goes to; each
    front listens on a port of its own (``ports[name]``) and sends all other
    HTTP to the web server. The access log (``access_log``) has one line per
    request in the site's format, with the upstream that served it.
    """

    DEPLOY = ROOT / "deploy" / "nginx"

    def __init__(self, *, folder, web_port, fronts, static_root, media_root, worker_connections=256):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.ports = {name: free_port() for name in fronts}
        super().__init__(log_path=self.folder / "nginx.out", port=next(iter(self.ports.values())), env=None)
        self.access_log = self.folder / "access.log"
        self.write_config(web_port, fronts, static_root, media_root, worker_connections)

    def write_config(self, web_port, fronts, static_root, media_root, worker_connections):
        folder = self.folder
        for part in ("openevent-http.conf", "openevent-locations.conf"):
            text = (self.DEPLOY / part).read_text()
            text = text.replace("@STATIC_ROOT@", str(static_root)).replace("@MEDIA_ROOT@", str(media_root))
            (folder / part).write_text(text)
        upstreams = [f"upstream openevent_web {{ server 127.0.0.1:{web_port}; }}"]
        servers = []
        for name, socket_ports in fronts.items():
            members = " ".join(f"server 127.0.0.1:{port};" for port in socket_ports)
            upstreams.append(f"upstream openevent_sockets_{name} {{ {members} }}")
            servers.append(
                f"server {{ listen 127.0.0.1:{self.ports[name]}; access_log {self.access_log} openevent;"
                f" set $openevent_web openevent_web; set $openevent_sockets openevent_sockets_{name};"
                f" include {folder}/openevent-locations.conf; }}"
            )
        newline = "\n    "
        # As root (CI containers), workers would run as nobody and could not read the test's folders.
        user = "user root;" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"""
{user}
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections {worker_connections}; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi; uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
    include {folder}/openevent-http.conf;
    {newline.join(upstreams)}
    {newline.join(servers)}
}}
"""
        )

    def command(self):
        return ["nginx", "-c", str(self.folder / "nginx.conf"), "-e", str(self.folder / "error.log")]

    def start(self, timeout=30):
        super().start(timeout=timeout)
        for port in self.ports.values():
            wait_for_port(port, self.process, timeout=timeout)
        return self

    def url(self, path="/", front=None):
        return f"http://127.0.0.1:{self.ports[front or next(iter(self.ports))]}{path}"

    def access_log_text(self):
        return self.access_log.read_text() if self.access_log.exists() else ""


class RedisServer(Process):
    """A private, non-persistent redis-server; ``stop()`` then ``start()`` restarts it on the same port."""

    def __init__(self, *, log_path, port=None):
        super().__init__(log_path=log_path, port=port, env={"PATH": os.environ["PATH"]})

    def command(self):
        return [
            shutil.which("redis-server") or "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
        ]

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


class Worker(Process):
    """``manage.py worker``: the background tasks of the database queue; ready once it says so in its log.

    ``housekeeping_every`` makes its periodic jobs (the webhooks' sweep) run that often, so a test
    need not wait half a minute for them.
    """

    def __init__(self, *, env, log_path, housekeeping_every=None, interval=0.05):
        super().__init__(log_path=log_path, port=0, env=env)
        self.housekeeping_every = housekeeping_every
        self.interval = interval

    def command(self):
        command = [sys.executable, "manage.py", "worker", "--interval", str(self.interval)]
        if self.housekeeping_every is not None:
            command += ["--housekeeping-every", str(self.housekeeping_every)]
        return command

    def start(self, timeout=30):
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while "ready" not in self.log_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the worker did not start:\n{self.log_text()}")
            time.sleep(0.05)
        return self

    def kill(self):
        """Kill the worker at once (SIGKILL), as a crash or an out-of-memory kill would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
