"""Token authentication for the API: DRF's, with its lookup compiled once (core.precompiled)."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .precompiled import PrecompiledQuery

# The user of a token, found through the token's primary key: one indexed query.
USER_BY_TOKEN = PrecompiledQuery(lambda key: get_user_model()._default_manager.filter(auth_token__key=key)[:1], str)


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, answered as DRF answers it, without compiling a query per request."""

    def authenticate_credentials(self, key):
        return self.credentials_of(USER_BY_TOKEN.first(key), key)

    def credentials_of(self, user, key):
        """Return (user, token) for the user found by the key (None: no such token), or refuse."""
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # request.auth: the token as loaded with the user (its "created" is read only if asked for).
        token = self.get_model().from_db(user._state.db, ["key", "user_id"], [key, user.pk])
        token.user = user
        return user, token
