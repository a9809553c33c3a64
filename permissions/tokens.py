"""Personal API tokens: what a scope is, making a token (its key shown once), revoking it.

A token acts for its owner, narrowed: ``scopes`` name the services it
reaches, each ``read`` or ``write`` (write includes read: create, update and
delete), and ``event`` may limit it to one event. What the owner's roles do
not allow, no token allows: the engine intersects the two
(permissions/engine.py, ``EventPermissions.can``). Keys look like
``oet_<40 characters>``; only their sha256 is stored.
"""

import hashlib
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import ApiToken
from .names import CREATE, DELETE, READ, SERVICES, UPDATE

KEY_PREFIX = "oet_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8  # what lists show: "oet_" and the key's first 8 characters
READ_SCOPE, WRITE_SCOPE = "read", "write"
LEVELS = (READ_SCOPE, WRITE_SCOPE)
SCOPES = tuple(f"{service}:{level}" for service in SERVICES for level in LEVELS)
WRITE_OPERATIONS = frozenset({CREATE, UPDATE, DELETE})


def hash_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


def is_personal_key(key):
    """Whether the key is a personal token's (the legacy single token is 40 hex digits)."""
    return key.startswith(KEY_PREFIX)


@dataclass(frozen=True)
class TokenScope:
    """What a token reaches: ``levels`` maps a service to "read" or "write"; ``event_id`` None is every event."""

    levels: dict
    event_id: int | None = None

    @classmethod
    def of(cls, token):
        return cls(levels=parse_scopes(token.scopes), event_id=token.event_id)

    def allows(self, operation, service):
        level = self.levels.get(service)
        if operation == READ:
            return level is not None
        return level == WRITE_SCOPE

    def reaches_event(self, event_id):
        return self.event_id is None or self.event_id == event_id

    @property
    def read_only(self):
        return WRITE_SCOPE not in self.levels.values()

    def covers(self, other):
        """Whether every request ``other`` allows is allowed by this scope too (a token makes no broader one)."""
        if self.event_id is not None and other.event_id != self.event_id:
            return False
        return all(
            service in self.levels and (level == READ_SCOPE or self.levels[service] == WRITE_SCOPE)
            for service, level in other.levels.items()
        )


def parse_scopes(scopes):
    """Return {service: level} of a list of "service:level" strings; a service named twice takes the higher."""
    levels = {}
    for scope in scopes:
        service, _, level = scope.partition(":")
        if levels.get(service) != WRITE_SCOPE:
            levels[service] = level
    return levels


def check_scopes(scopes):
    """Return the scopes in declared order, one per service; ValidationError names the unknown ones."""
    if not isinstance(scopes, list | tuple) or not all(isinstance(scope, str) for scope in scopes):
        raise ValidationError('A list of scopes such as "session:read" or "track:write".', code="invalid")
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise ValidationError(
            f"Unknown scope {', '.join(unknown)}; a scope is a service ({', '.join(SERVICES)}) "
            "followed by :read or :write.",
            code="unknown_scope",
        )
    if not scopes:
        raise ValidationError("Give the token at least one scope.", code="required")
    levels = parse_scopes(scopes)
    return [f"{service}:{levels[service]}" for service in SERVICES if service in levels]


def create_token(*, user, name, scopes, event=None, expires_at=None, made_by=None):
    """Make a token for the user and return (token, key); only the key's hash is stored.

    ``made_by`` is the scope of the token that asks (None: the owner signed in
    or the legacy token); the new token may be no broader than it, nor
    outlive it. Raises ValidationError.
    """
    scopes = check_scopes(scopes)
    wanted = TokenScope(levels=parse_scopes(scopes), event_id=getattr(event, "pk", None))
    if made_by is not None:
        scope, parent_expiry = made_by
        if not scope.covers(wanted):
            raise ValidationError("A token can only make tokens that reach no more than it does.", code="broader")
        if parent_expiry is not None and (expires_at is None or expires_at > parent_expiry):
            raise ValidationError(
                {"expires_at": "A token can only make tokens that expire no later than it does."}, code="broader"
            )
    key = KEY_PREFIX + secrets.token_urlsafe(30)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=key[:PREFIX_LENGTH],
            key_hash=hash_key(key),
            scopes=scopes,
            event=event,
            expires_at=expires_at,
        )
    return token, key


def revoke_token(*, token):
    """Revoke the token: its row is deleted, its key is refused from the next request on."""
    token.delete()
