"""/api/v1/auth/token/: the legacy single token of a user (throttled; failures counted).

POST exchanges an email and a password for it: the same key every time,
until DELETE revokes it (the next POST then makes a new one). Personal,
scoped tokens live at /api/v1/auth/tokens/ (permissions/token_api.py).
"""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.authtoken import serializers as authtoken_serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from core.api import JSONParser
from core.schema import ERRORS
from permissions.models import ApiToken

PERSONAL_TOKEN_REFUSED = "A personal token cannot revoke the account's token: use the session or that token itself."


class AuthTokenSerializer(authtoken_serializers.AuthTokenSerializer):
    """DRF's (its name too: the schema's component stays AuthToken), with ``username`` no longer than an
    account's address: a longer one is refused before a log-in is tried and counted (the lock-out's records
    hold 255 characters; PostgreSQL refused more, a 500)."""

    username = serializers.CharField(
        label="Email", write_only=True, max_length=get_user_model()._meta.get_field("email").max_length
    )


@extend_schema_view(
    post=extend_schema(
        summary="Get your API token",
        auth=[],
        description="Send `username` (your email address) and `password`; "
        "then authenticate with `Authorization: Token <token>`. The same key every time, until it is revoked; "
        "the token has your full access (personal, scoped tokens: `/api/v1/auth/tokens/`).",
    ),
    delete=extend_schema(
        summary="Revoke your API token",
        description="Delete the token that POST gives; its key is refused from now on. "
        "Authenticate with the session or that token (not a personal token).",
        request=None,
        responses={
            204: OpenApiResponse(description="Revoked (also when there was none)."),
            401: ERRORS[401],
            403: OpenApiResponse(ERRORS[403].response, description=PERSONAL_TOKEN_REFUSED),
        },
    ),
)
class TokenView(ObtainAuthToken):
    """Return your API token for your email (``username``) and password; failed attempts lead to a lock-out.
    DELETE revokes it."""

    parser_classes = [JSONParser]
    serializer_class = AuthTokenSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    def initialize_request(self, request, *args, **kwargs):
        request = super().initialize_request(request, *args, **kwargs)
        if request.method == "POST":
            # A log-in: whatever Authorization header the client still sends (a revoked key) is not read.
            request.authenticators = ()
        return request

    def get_serializer_context(self):
        # django-axes marks a locked-out log-in on the request it is given; its middleware reads Django's
        # request, so authenticate() gets that one (DRF's wraps it).
        return {**super().get_serializer_context(), "request": self.request._request}

    def delete(self, request, *args, **kwargs):
        """Revoke the legacy token of the signed-in user."""
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        if isinstance(request.auth, ApiToken):
            raise PermissionDenied(PERSONAL_TOKEN_REFUSED)
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
