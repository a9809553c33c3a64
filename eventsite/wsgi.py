"""WSGI entry point: HTTP on gunicorn's sync workers in production (WebSockets need the ASGI app).

A sync worker runs one request at a time on one thread, so it keeps its
database connection between requests (DATABASE_CONN_MAX_AGE, 10 minutes
unless set; checked before reuse): one connection per worker, no connect
per request. See docs/deploy.md, "Database connections".
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventsite.settings")
os.environ.setdefault("DATABASE_APPLICATION_NAME", "openevent-web")
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")
application = get_wsgi_application()
