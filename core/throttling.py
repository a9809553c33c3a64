"""Throttles: how often a client may log in, ask for a token, sign up, reset a password or send invites.

Two kept libraries, one for each kind of limit:

- failed log-ins (the log-in page and the API's token endpoint, any call of
  ``authenticate()``): django-axes counts failures per address and user name
  and locks the pair out for a while (``lockout()`` answers 429 with
  Retry-After, JSON under /api/);
- the rate of requests that send email or create things (sign-up, password
  reset, invites, new API tokens, orders placed at the public checkout,
  personal schedule feeds): DRF's throttles (ScopedRateThrottle on the
  API views that name a ``throttle_scope``: per user, or per address for
  anonymous callers), counted in the default cache. ``throttle_posts`` uses
  DRF's throttle class for the site's own pages, per address.

Rates and limits are settings (README, "Configuration").
"""

import math
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from rest_framework.throttling import SimpleRateThrottle

LOCKED_OUT = "Too many failed log-ins from here: try again in {minutes} minutes, or reset your password."
SLOW_DOWN = "Too many requests of this kind from here: try again in {seconds} seconds."


class AddressThrottle(SimpleRateThrottle):
    """Count requests per client address (the proxy's X-Forwarded-For as settings allow) in one scope."""

    def __init__(self, scope):
        self.scope = scope
        super().__init__()

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def too_many(request, seconds, message):
    """Return a 429 with Retry-After: JSON under /api/ and to a JSON request, the site's page elsewhere."""
    seconds = max(1, math.ceil(seconds or 1))
    text = message.format(seconds=seconds, minutes=max(1, math.ceil(seconds / 60)))
    if request.path.startswith("/api/") or request.content_type == "application/json":
        response = JsonResponse({"detail": text, "code": "throttled"}, status=429)
    else:
        response = render(request, "429.html", {"message": text}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def throttle_posts(scope):
    """Decorate a page view (a class view's ``dispatch``): its POSTs are throttled per client address like the
    API's scope ``scope``."""

    def decorate(view):
        @wraps(view)
        def throttled(request, *args, **kwargs):
            if request.method == "POST":
                throttle = AddressThrottle(scope)
                if not throttle.allow_request(request, None):
                    return too_many(request, throttle.wait(), SLOW_DOWN)
            return view(request, *args, **kwargs)

        return throttled

    return decorate


def lockout(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out log-in: 429 with Retry-After (AXES_LOCKOUT_CALLABLE)."""
    return too_many(request, settings.AXES_COOLOFF_TIME.total_seconds(), LOCKED_OUT)
