"""The product's URLs plus two baselines that exist only in benchmark runs.

- ``/bench/bare/``: the floor, a constant JSON object from a plain Django view
  behind the same middleware on the same server.
- ``/bench/hash/api/v1/...``: the usual way to make ETags, as Django's
  ConditionalGetMiddleware does: run the real API view in full, hash the
  body, then compare If-None-Match. Our views instead answer 304 from the
  stored version counters before loading or serializing anything.
- ``/bench/least304/<event id>/``: the least a 304 of one event can cost in
  this design, the floor under the API's: the token's owner and the engine's
  query in their one statement, the engine's answer, the ETag compared; no
  DRF (no request wrapper, negotiation, permission classes, renderer).
"""

from django.http import HttpResponseNotModified, JsonResponse
from django.urls import path, resolve
from django.utils.cache import get_conditional_response, set_response_etag

from eventsite.urls import urlpatterns as product_urlpatterns  # first: the API's modules load in their own order

# isort: split
from core.conditional import make_etag, none_match
from permissions.authentication import _EVENT_BY_LEGACY_KEY  # the statement the API sends for a legacy token
from permissions.engine import load_event, load_event_for_token, permissions_for


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


def least_304(request, event_id):
    """Answer GET of an event for a legacy token as the API's 304 must at least: one statement, the ETag."""
    keyword, _space, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    user = load_event_for_token(_EVENT_BY_LEGACY_KEY, key, event_id) if keyword == "Token" else None
    event = None if user is None or not user.is_active else load_event(user, event_id)
    if event is None or not permissions_for(user, event).can_see_event:
        return JsonResponse({"detail": "No such event."}, status=404)
    etag = make_etag("object", ("Event", event.pk, event.version))
    response = HttpResponseNotModified() if none_match(request, etag) else JsonResponse({"id": event.pk})
    response["ETag"] = etag
    return response


urlpatterns = [
    path("bench/bare/", bare_json),
    path("bench/least304/<int:event_id>/", least_304),
    path("bench/hash/api/v1/<path:rest>", body_hash_conditional),
    *product_urlpatterns,
]
