"""The product's URLs plus two baselines that exist only in benchmark runs.

- ``/bench/bare/``: the floor, a constant JSON object from a plain Django view
  behind the same middleware on the same server.
- ``/bench/hash/api/v1/...``: the usual way to make ETags, as Django's
  ConditionalGetMiddleware does: run the real API view in full, hash the
  body, then compare If-None-Match. Our views instead answer 304 from the
  stored version counters before loading or serializing anything.
"""

from django.http import JsonResponse
from django.urls import path, resolve
from django.utils.cache import get_conditional_response, set_response_etag

from eventsite.urls import urlpatterns as product_urlpatterns


def bare_json(request):
    """Return a constant JSON object: what any view on this server costs at least."""
    return JsonResponse({"ok": True})


def body_hash_conditional(request, rest):
    """Serve /api/v1/<rest> with an ETag hashed from the rendered body (304 only after doing all the work)."""
    if_none_match = request.META.pop("HTTP_IF_NONE_MATCH", None)  # so the real view renders in full
    match = resolve(f"/api/v1/{rest}")
    response = match.func(request, *match.args, **match.kwargs)
    if hasattr(response, "render"):
        response.render()
    del response["ETag"]  # the counter-based one
    set_response_etag(response)
    if if_none_match is not None:
        request.META["HTTP_IF_NONE_MATCH"] = if_none_match
    return get_conditional_response(request, etag=response.get("ETag"), response=response)


urlpatterns = [
    path("bench/bare/", bare_json),
    path("bench/hash/api/v1/<path:rest>", body_hash_conditional),
    *product_urlpatterns,
]
