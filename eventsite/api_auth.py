"""POST /api/v1/auth/token/: exchange an email and a password for the API token (throttled; failures counted)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import ScopedRateThrottle

from core.api import JSONParser


@extend_schema_view(
    post=extend_schema(
        summary="Get your API token",
        auth=[],
        description="Send `username` (your email address) and `password`; "
        "then authenticate with `Authorization: Token <token>`.",
    )
)
class TokenView(ObtainAuthToken):
    """Return your API token for your email (``username``) and password; failed attempts lead to a lock-out."""

    parser_classes = [JSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    def get_serializer_context(self):
        # django-axes marks a locked-out log-in on the request it is given; its middleware reads Django's
        # request, so authenticate() gets that one (DRF's wraps it).
        return {**super().get_serializer_context(), "request": self.request._request}
