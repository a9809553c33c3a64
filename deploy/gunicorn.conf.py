"""gunicorn settings of the web server (all HTTP but /ws/), read by deploy/systemd/openevent-web.service.

``gunicorn --config deploy/gunicorn.conf.py eventsite.wsgi`` runs
WEB_CONCURRENCY sync workers behind nginx. Each worker serves one request at
a time and keeps one database connection (eventsite/wsgi.py), so the web
server holds at most WEB_CONCURRENCY connections to PostgreSQL. When every
worker is busy, new connections wait in the listen backlog (and nginx waits
for them up to its proxy_read_timeout) instead of being refused. The tests
(core.tests.processes.Gunicorn) and `make bench` run this same file.
"""

import os

bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
# One per core is the point where a CPU-bound worker saturates the machine;
# a few more cover the time a worker waits on the database.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
# Connections beyond the busy workers queue here (the kernel caps it at net.core.somaxconn).
backlog = int(os.environ.get("WEB_BACKLOG", "2048"))
# The longest request line read (gunicorn's maximum): nginx refuses longer ones first, in JSON
# (deploy/nginx/openevent-locations.conf), so gunicorn's own HTML 414 is never seen behind it.
limit_request_line = 8190
# A request running this long is stuck: the worker is killed and replaced (its transaction rolls back).
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
# nginx logs the requests (with their ids); gunicorn logs its own events to stderr (the journal).
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
# Only nginx, on this machine, may set X-Forwarded-* for us.
forwarded_allow_ips = "127.0.0.1,::1"
# No runtime control socket: nothing uses it, and two servers on one machine would share its path.
control_socket_disable = True


def post_worker_init(worker):
    """Load every view now and take what is loaded out of the garbage collector's full passes.

    A worker's heap is some 180,000 tracked objects (Django, DRF, our modules), almost all
    alive for the worker's life; a full collection walks them all, about 100 ms, about once every
    few thousand requests: a stall in the middle of someone's request each time. Importing the URL
    configuration loads the views (Django would on the first request); gc.freeze() then moves
    everything alive into a generation the collector never scans (benchmarks/README.md).
    """
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every URL module and view)
    gc.collect()
    gc.freeze()
