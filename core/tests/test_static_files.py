"""StaticFilesMiddleware: WhiteNoise's static files, with the middleware chain async from end to end under ASGI."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import AsyncClient
from django.utils.module_loading import import_string

from core.middleware import StaticFilesMiddleware

SITE_CSS = Path(settings.BASE_DIR) / "static" / "css" / "site.css"


def test_every_middleware_can_run_async():
    # One sync-only middleware makes Django run the chain below it in a thread through async_to_sync
    # under ASGI; a client that disconnects mid-request then left request_finished unable to run
    # ("CurrentThreadExecutor already quit"), and the request's pooled connection was never given back.
    sync_only = [name for name in settings.MIDDLEWARE if not getattr(import_string(name), "async_capable", False)]
    assert sync_only == []
    assert "core.middleware.StaticFilesMiddleware" in settings.MIDDLEWARE


@pytest.fixture(params=[False, True], ids=["files-read-at-start", "autorefresh"])
def static_files(settings, request):
    # As under make run (DEBUG): from the apps' static folders; autorefresh looks each one up on disk.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = request.param


@pytest.mark.django_db
@pytest.mark.usefixtures("static_files")
async def test_under_asgi_a_static_file_is_served_and_other_paths_go_on():
    client = AsyncClient()
    served = await client.get("/static/css/site.css")
    body = b"".join(served.streaming_content)  # a file: read in the handler's thread, as Django streams it
    served.close()
    assert (served.status_code, served["Content-Type"], body) == (
        200,
        'text/css; charset="utf-8"',
        SITE_CSS.read_bytes(),
    )
    assert (await client.get("/static/css/no-such-file.css")).status_code == 404
    assert (await client.get("/accounts/login/")).status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("static_files")
def test_under_wsgi_it_is_whitenoise(client):
    served = client.get("/static/css/site.css")
    body = b"".join(served.streaming_content)
    served.close()
    assert (served.status_code, body) == (200, SITE_CSS.read_bytes())
    assert issubclass(StaticFilesMiddleware, import_string("whitenoise.middleware.WhiteNoiseMiddleware"))
