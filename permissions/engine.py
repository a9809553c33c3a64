"""The permission engine: what a user may do in an event, asked by every door.

``load_event(user, event_id)`` reads the event row and, in the same query,
the user's roles there with their track limits and the counter of the
matrix; the rows of the matrix come from this process's copy
(permissions/matrix.py), read again when that counter moved. It returns the
event and memoises the user's ``EventPermissions`` for it on the user
object, which lives for one request (or one WebSocket message, see the
consumers). ``permissions_for(user, event)`` then answers from that memo.
HTML views, the DRF permission class, the admin and the consumers all ask
it; none of them looks at role names.

A request authenticated by a personal API token carries the token's scope
(``narrow_to_token``): every answer is then what the roles allow AND what
the token reaches (permissions/tokens.py), and an event outside the token's
event limit does not exist for the request. Never wider than the roles.
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.aggregates import StringAgg
from django.db.models.functions import Cast, Concat

from core.precompiled import PrecompiledPair, PrecompiledQuery
from core.versioning import EVERYONE, MEMBERS, with_event_counters

from . import matrix
from .names import (
    CREATE,
    OPERATIONS,
    READ,
    SERVICES,
    TRACK_SCOPED_ROLES,
    TRACK_SCOPED_SERVICES,
    check_operation,
    check_service,
)

PUBLISHED = "published"
_CACHE_ATTR = "_event_permissions_cache"
_ALL_TRACKS = None
_GRANTS = "_engine_grants"
_MATRIX = "_engine_matrix"
_TOKEN_ATTR = "_api_token_scope"
_PREFETCHED_ATTR = "_engine_prefetched_events"


@dataclass(frozen=True)
class EventPermissions:
    """What one user may do in one event.

    ``grants`` maps (service, operation) to None (everywhere in the event) or
    to the frozenset of track ids a track-limited role reaches. Staff read
    everything and the super admin may do everything: both are answered here,
    never at call sites.
    """

    event_id: int
    exists: bool
    is_published: bool = False
    roles: frozenset = frozenset()
    grants: dict = field(default_factory=dict)
    is_superuser: bool = False
    is_staff: bool = False
    # The scope of the personal API token the request came with (permissions.tokens.TokenScope), or None.
    token: object = None

    def can(self, operation, service, *, track_id=None, anywhere=False):
        """Return whether the operation on the service is allowed.

        For track-scoped services pass the object's ``track_id`` (None for an
        object in no track), or ``anywhere=True`` to ask whether it is allowed
        on at least some object (list and create checks).
        """
        check_operation(operation)
        check_service(service)
        if not self.exists:
            return False
        if self.token is not None and not self.token.allows(operation, service):
            return False
        if self.is_superuser or (self.is_staff and operation == READ):
            return True
        if (service, operation) not in self.grants:
            return False
        tracks = self.grants[(service, operation)]
        if tracks is _ALL_TRACKS or anywhere:
            return True
        return track_id in tracks

    def track_limit(self, operation, service):
        """Return None when the grant covers every track, else the track ids it covers."""
        check_operation(operation)
        check_service(service)
        if self.token is not None and not self.token.allows(operation, service):
            return frozenset()
        if self.is_superuser or (self.is_staff and operation == READ):
            return _ALL_TRACKS
        return self.grants.get((service, operation), frozenset())

    @property
    def audience(self):
        """Whose counters of the event this user may hear: the team's (MEMBERS) or the public's (EVERYONE)."""
        return MEMBERS if self.can(READ, "event") else EVERYONE

    @property
    def can_see_event(self):
        """The event exists for this user: public, or readable through a role or staff status.

        Through a token: also when the token reads some service of it that the roles allow
        (a token for sessions only still finds the event of its sessions)."""
        if not self.exists:
            return False
        if self.is_published or self.can(READ, "event"):
            return True
        return self.token is not None and any(self.can(READ, service, anywhere=True) for service in SERVICES)

    def operations(self, service):
        """Return the operations allowed somewhere on the service, in declared order."""
        return [op for op in OPERATIONS if self.can(op, service, anywhere=True)]


def _event_model():
    # The engine knows events by name only: the events app builds on this one.
    return apps.get_model("events", "Event")


def _grants_subquery(user_id):
    """One text per event: "role id|track id" pieces of the user's roles (track empty: all), joined by ";"."""
    event_role = apps.get_model("permissions", "EventRole")
    # A role limited to no track has a NULL track id: Concat reads NULL as "" itself (on every backend).
    piece = Concat(Cast("role_id", CharField()), Value("|"), Cast("tracks__id", CharField()), output_field=CharField())
    pieces = (
        event_role.objects.filter(event_id=OuterRef("pk"), user_id=user_id)
        .order_by()
        .values("event_id")
        .annotate(all=StringAgg(piece, Value(";")))
        .values("all")
    )
    return Subquery(pieces, output_field=CharField())


def _with_grants(queryset, user_id):
    return queryset.annotate(**{_GRANTS: _grants_subquery(user_id), _MATRIX: matrix.stamp_subquery()})


def _engine_query(queryset, user_id=None, *, authenticated):
    """The event(s) of the queryset with what a request needs: the user's grants and the matrix's counter
    (signed in), and the event's list counters (for ETags: core.versioning.loaded_counter)."""
    return with_event_counters(_with_grants(queryset, user_id) if authenticated else queryset)


def load_event(user, event_id, *, queryset=None):
    """Return the event (None if there is none) with the user's permissions in it, in one query.

    ``queryset`` narrows what is looked up (e.g. published events only).
    """
    event_id = event_id_or_none(event_id)
    return None if event_id is None else _load(user, "pk", event_id, queryset)


def load_event_by_slug(user, slug, *, queryset=None):
    """Return the event with this slug as load_event() does, or None."""
    return _load(user, "slug", slug, queryset)


def _load(user, lookup, value, queryset):
    authenticated = user is not None and user.is_authenticated
    prefetched = getattr(user, _PREFETCHED_ATTR, None)
    if prefetched is not None and lookup == "pk" and queryset is None and value in prefetched:
        event = prefetched.pop(value)  # read with the token that named the user (load_event_for_token)
    elif queryset is None:
        query = _QUERIES[(lookup, authenticated)]
        event = query.first(value, user.pk) if authenticated else query.first(value)
    else:
        queryset = _engine_query(
            queryset.filter(**{lookup: value}), user.pk if authenticated else None, authenticated=authenticated
        )
        event = next(iter(queryset.order_by()[:1]), None)
    _remember(user, event)
    return event


def _remember(user, event):
    if event is not None:
        grants, stamp = getattr(event, _GRANTS, None) or "", getattr(event, _MATRIX, None)
        _memo(user)[event.pk] = _resolve(user, event, grants, stamp)


def event_query_for_token(user_query, user_id_of_key):
    """The token's user and the engine's query for an event (by id), as one statement: ``load_event_for_token``.

    ``user_query`` finds the user by the key (a PrecompiledQuery of one row);
    ``user_id_of_key(key)`` returns a queryset of one value, the id of the token's
    user: the grants are read for whoever the key names, so the event's half does
    not wait for the token's own lookup, and both come back in one round trip.
    """

    def build(event_id, key):
        events = _event_model().objects.filter(pk=event_id)
        return _engine_query(events, Subquery(user_id_of_key(key)), authenticated=True).order_by()[:1]

    return PrecompiledPair(user_query, PrecompiledQuery(build, int, str))


def event_id_or_none(value):
    """Return the event id a URL names as an int, or None when no event row can have it."""
    try:
        event_id = int(value)
    except (TypeError, ValueError):
        return None
    return event_id if 0 < event_id < 2**63 else None


def load_event_for_token(query, key, event_id):
    """Look up a token's user and the event of the URL at once; return the user (None: no such token).

    ``query`` comes from ``event_query_for_token``. The event is kept on the user for the request's
    first ``load_event(user, event_id)``, which then costs no query; its
    permissions are resolved then, after the caller's own checks of the token
    (active, expiry, ``narrow_to_token``).
    """
    user, event = query.first((key,), (event_id, key))
    if user is not None:
        setattr(user, _PREFETCHED_ATTR, {event_id: event})
    return user


def _event_query(lookup, *, authenticated):
    """The engine's query, compiled once per process: building the grants subquery into SQL cost more
    than the rest of a 304 answer together."""

    def build(value, user_id=None):
        events = _event_model().objects.filter(**{lookup: value})
        return _engine_query(events, user_id, authenticated=authenticated).order_by()[:1]

    kinds = (str if lookup == "slug" else int, *((int,) if authenticated else ()))
    return PrecompiledQuery(build, *kinds)


_QUERIES = {
    (lookup, authenticated): _event_query(lookup, authenticated=authenticated)
    for lookup in ("pk", "slug")
    for authenticated in (True, False)
}


def permissions_for(user, event):
    """Return the user's EventPermissions in the event (an Event or its id).

    Answers from the memo that load_event() left; otherwise loads the event:
    at most one query per (user, event).
    """
    event_id = getattr(event, "pk", event)
    try:
        event_id = int(event_id)
    except (TypeError, ValueError):
        return EventPermissions(event_id=0, exists=False)
    memo = _memo(user)
    if event_id not in memo and load_event(user, event_id) is None:
        memo[event_id] = EventPermissions(event_id=event_id, exists=False)
    return memo[event_id]


def site_permissions(user):
    """Return what the user may do outside any event: anyone signed in creates events; staff read all.

    A token limited to one event creates none (a new event lies outside it)."""
    authenticated = bool(user and user.is_authenticated)
    token = token_scope(user)
    creates = authenticated and (token is None or token.event_id is None)
    return EventPermissions(
        event_id=0,
        exists=True,
        grants={("event", CREATE): _ALL_TRACKS} if creates else {},
        is_superuser=authenticated and user.is_superuser,
        is_staff=authenticated and user.is_staff,
        token=token,
    )


def narrow_to_token(user, scope):
    """Make every answer about this user (for this request) no wider than the token's scope."""
    forget_permissions(user)
    setattr(user, _TOKEN_ATTR, scope)


def token_scope(user):
    """Return the scope of the personal token the user's request came with, or None (session, legacy token)."""
    return getattr(user, _TOKEN_ATTR, None)


def event_limit(user):
    """Return the one event id the request's token is limited to, or None (every event)."""
    token = token_scope(user)
    return None if token is None else token.event_id


def forget_permissions(user):
    """Drop the memoised answers (a long-lived user object, e.g. a WebSocket's)."""
    if user is not None and hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _memo(user):
    cache = getattr(user, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(user, _CACHE_ATTR, cache)
    return cache


def _resolve(user, event, text, stamp):
    """Build the EventPermissions of the user from the event row, the grants text and the matrix."""
    authenticated = bool(user and user.is_authenticated)
    token = token_scope(user) if authenticated else None
    if token is not None and not token.reaches_event(event.pk):
        return EventPermissions(event_id=event.pk, exists=False)
    role_tracks = {}  # role id -> set of track ids it is limited to (empty: all)
    for piece in filter(None, text.split(";")):
        role_id, track = piece.split("|")
        role_tracks.setdefault(int(role_id), set()).update([int(track)] if track else [])
    rows = matrix.current(stamp, role_tracks).roles if role_tracks else {}

    roles, grants = set(), {}
    for role_id, tracks in role_tracks.items():
        if role_id not in rows:  # a role deleted since the query: it grants nothing
            continue
        name, granted = rows[role_id]
        roles.add(name)
        limit = frozenset(tracks) if name in TRACK_SCOPED_ROLES else frozenset()
        for service, op in granted:
            reach = limit if (limit and service in TRACK_SCOPED_SERVICES) else _ALL_TRACKS
            current = grants.get((service, op), frozenset())
            if reach is _ALL_TRACKS or current is _ALL_TRACKS:
                grants[(service, op)] = _ALL_TRACKS
            else:
                grants[(service, op)] = current | reach
    return EventPermissions(
        event_id=event.pk,
        exists=True,
        is_published=event.state == PUBLISHED,
        roles=frozenset(roles),
        grants=grants,
        is_superuser=authenticated and user.is_superuser,
        is_staff=authenticated and user.is_staff,
        token=token,
    )


__all__ = [
    "OPERATIONS",
    "SERVICES",
    "EventPermissions",
    "event_id_or_none",
    "event_limit",
    "event_query_for_token",
    "forget_permissions",
    "load_event",
    "load_event_by_slug",
    "load_event_for_token",
    "narrow_to_token",
    "permissions_for",
    "site_permissions",
    "token_scope",
]
