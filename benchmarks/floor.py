"""The floor: a bare Django JSON view, no middleware, no apps, no database, on the same server kind.

``gunicorn benchmarks.floor:application`` serves ``/bench/bare/`` with the
same constant JSON object as benchmarks/urls.py's bare view, which runs
behind our whole middleware stack; the two side by side price the stack.
"""

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="floor-of-the-benchmarks-not-a-secret-0123456789abcdefghijklmnop",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
)

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def bare_json(request):
    """Return a constant JSON object: what a Django view costs with nothing around it."""
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/bare/", bare_json)]
application = get_wsgi_application()
