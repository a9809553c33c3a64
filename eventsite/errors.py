"""Error answers: pages in the site's layout (templates/400.html ... 500.html), JSON under /api/.

Django's own handlers render the pages; under /api/ every refusal is JSON
with a ``detail``, as DRF's are, including paths no endpoint answers and
refusals raised before DRF is reached (CSRF, a bad Host header, a crash).
"""

from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt

API_PREFIX = "/api/"
DETAILS = {
    400: "Bad request.",
    403: "You do not have permission to do this.",
    404: "Not found.",
    500: "Server error; nothing more is known here.",
}


def is_api(request):
    return request.path.startswith(API_PREFIX)


def _json(status, detail=None):
    return JsonResponse({"detail": detail or DETAILS[status]}, status=status)


def bad_request(request, exception=None):
    return _json(400) if is_api(request) else defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api(request):
        return _json(403, str(exception or "") or None)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    return _json(404) if is_api(request) else defaults.page_not_found(request, exception)


def server_error(request):
    """The 500 answer: no database, no context processor (what failed may be the database)."""
    return _json(500) if is_api(request) else defaults.server_error(request)


def csrf_failure(request, reason=""):
    """A form or API call without its CSRF token: JSON under /api/, else the 403 page saying what to do."""
    if is_api(request):
        return _json(403, f"CSRF check failed: {reason}")
    if request.headers.get("Accept", "").startswith("application/json"):
        return django_csrf_failure(request, reason)
    return defaults.permission_denied(request, CsrfRefused())


class CsrfRefused(Exception):
    def __str__(self):
        return (
            "The form was sent without its security token (CSRF), maybe from a page opened long ago or with "
            "cookies blocked. Go back, reload the page and try again."
        )


@csrf_exempt  # it changes nothing: a POST is told there is nothing here, not asked for a CSRF token
def api_not_found(request, rest=""):
    """Any path under /api/ that no endpoint answers: a JSON 404 that points at the root and the docs."""
    path = request.path
    detail = f"No API endpoint at {path}; see /api/v1/ and /api/docs/."
    if not path.endswith("/"):
        try:
            if resolve(path + "/").func is not api_not_found:
                detail = f"No API endpoint at {path}; did you mean {path}/?"
        except Resolver404:
            pass
    return _json(404, detail)
