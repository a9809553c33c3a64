"""API authentication by token: personal tokens (scoped, hashed) and the legacy single token of each user.

``Authorization: Token <key>`` or ``Authorization: Bearer <key>``. A key
that starts with ``oet_`` is a personal token (permissions/tokens.py): found
by its sha256 with its owner in one query, refused when expired, and the
request's permissions are narrowed to its scope. Any other key is the
legacy token (core.authentication), with the owner's full access.

When the URL names an event (an event-scoped view), the token's lookup and
the engine's query for that event are one statement, the engine's half naming the
user by the key (``permissions.engine.load_event_for_token``).
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header
from rest_framework.authtoken.models import Token

from core.authentication import USER_BY_TOKEN, TokenAuthentication
from core.precompiled import PrecompiledQuery

from .engine import event_query_for_token, load_event_for_token, narrow_to_token
from .models import ApiToken
from .tokens import TokenScope, hash_key, is_personal_key

KEYWORDS = (b"token", b"bearer")
# last_used_at is written when it is older than this: at most one write a minute per token.
LAST_USED_EVERY = timedelta(minutes=1)
# The token's columns, read with its owner in one query (compiled once per process, as the request path's are).
TOKEN_COLUMNS = ("id", "name", "prefix", "scopes", "event_id", "expires_at", "last_used_at", "created_at")
_OWNER_WITH_TOKEN = PrecompiledQuery(
    lambda key_hash: (
        get_user_model()
        ._default_manager.filter(api_tokens__key_hash=key_hash)
        .annotate(**{f"api_token_{name}": F(f"api_tokens__{name}") for name in TOKEN_COLUMNS})[:1]
    ),
    str,
)


def _event_queries():
    """The token's owner and the engine's query for the event of the URL, as one statement, for each kind of key.

    The event's half reads the grants of whoever the key names (it does not wait for the token's own
    lookup: the two are independent). Built once, at import.
    """
    legacy = event_query_for_token(USER_BY_TOKEN, lambda key: Token.objects.filter(key=key).values("user_id")[:1])
    personal = event_query_for_token(
        _OWNER_WITH_TOKEN, lambda key_hash: ApiToken.objects.filter(key_hash=key_hash).values("user_id")[:1]
    )
    return legacy, personal


_EVENT_BY_LEGACY_KEY, _EVENT_BY_PERSONAL_KEY = _event_queries()


def event_id_of_url(request):
    """Return the event id the URL of an event-scoped API view names, or None."""
    view = (getattr(request, "parser_context", None) or {}).get("view")
    named = getattr(view, "event_id_in_url", None)
    return named() if named is not None else None


class ApiTokenAuthentication(TokenAuthentication):
    """Personal tokens and the legacy token, under the keyword ``Token`` or ``Bearer``."""

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() not in KEYWORDS:
            return None
        # DRF's own answers to a malformed header.
        if len(auth) == 1:
            raise exceptions.AuthenticationFailed(_("Invalid token header. No credentials provided."))
        if len(auth) > 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header. Token string should not contain spaces."))
        try:
            key = auth[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header. Token string should not contain invalid characters.")
            ) from error
        event_id = event_id_of_url(request)
        if is_personal_key(key):
            return self.authenticate_personal(key, event_id)
        if event_id is None:
            return self.authenticate_credentials(key)
        return self.credentials_of(load_event_for_token(_EVENT_BY_LEGACY_KEY, key, event_id), key)

    def authenticate_personal(self, key, event_id=None):
        key_hash = hash_key(key)
        if event_id is None:
            user = _OWNER_WITH_TOKEN.first(key_hash)
        else:
            user = load_event_for_token(_EVENT_BY_PERSONAL_KEY, key_hash, event_id)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = ApiToken(
            user=user, key_hash=key_hash, **{name: getattr(user, f"api_token_{name}") for name in TOKEN_COLUMNS}
        )
        token._state.adding, token._state.db = False, user._state.db
        now = timezone.now()
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        narrow_to_token(user, TokenScope.of(token))
        return user, token
