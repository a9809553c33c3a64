"""The permission engine: what a user may do in an event, asked by every door.

``permissions_for(user, event_id)`` returns an ``EventPermissions`` built
from one query (the event's state joined with the user's roles and their
rows of the matrix), memoised on the user object, which lives for one
request (or one WebSocket message, see notifications.consumers). HTML views,
the DRF permission class, the admin and the consumer all ask it; none of
them looks at role names.
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import FilteredRelation, Q

from .names import (
    OPERATIONS,
    ORGANIZER,
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


@dataclass(frozen=True)
class EventPermissions:
    """What one user may do in one event.

    ``grants`` maps (service, operation) to None (everywhere in the event) or
    to the frozenset of track ids a track-limited role reaches.
    """

    event_id: int
    exists: bool
    is_published: bool = False
    roles: frozenset = frozenset()
    grants: dict = field(default_factory=dict)
    is_superuser: bool = False
    is_staff: bool = False
    # The event's time zone, read by the same query: event pages show and read times in it.
    timezone: str = "UTC"

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
        if self.is_superuser or (self.is_staff and operation == READ):
            return _ALL_TRACKS
        return self.grants.get((service, operation), frozenset())

    @property
    def can_see_event(self):
        """The event exists for this user: public, or readable through a role or staff status."""
        return self.exists and (self.is_published or self.can(READ, "event"))

    @property
    def can_manage_roles(self):
        """Only organizers and the super admin add, change and remove roles."""
        return self.exists and (self.is_superuser or ORGANIZER in self.roles)

    def operations(self, service):
        """Return the operations allowed somewhere on the service, in declared order."""
        return [op for op in OPERATIONS if self.can(op, service, anywhere=True)]


def permissions_for(user, event_id):
    """Return the user's EventPermissions for the event; at most one query per (user, event)."""
    try:
        event_id = int(event_id)
    except (TypeError, ValueError):
        return EventPermissions(event_id=0, exists=False)
    cache = getattr(user, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(user, _CACHE_ATTR, cache)
    if event_id not in cache:
        cache[event_id] = _load(user, event_id)
    return cache[event_id]


def forget_permissions(user):
    """Drop the memoised answers (a long-lived user object, e.g. a WebSocket's)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _load(user, event_id):
    event_model = apps.get_model("events", "Event")
    authenticated = bool(user and user.is_authenticated)
    queryset = event_model.objects.filter(pk=event_id)
    if not authenticated:
        rows = list(queryset.values_list("state", "timezone"))
        if not rows:
            return EventPermissions(event_id=event_id, exists=False)
        state, tz_name = rows[0]
        return EventPermissions(event_id=event_id, exists=True, is_published=state == PUBLISHED, timezone=tz_name)

    columns = ["state", "timezone", "mine__role__name", "mine__tracks__id", "mine__role__permissions__service__name"]
    columns += [f"mine__role__permissions__can_{op}" for op in OPERATIONS]
    rows = list(
        queryset.annotate(mine=FilteredRelation("roles", condition=Q(roles__user_id=user.pk))).values_list(*columns)
    )
    if not rows:
        return EventPermissions(event_id=event_id, exists=False)

    roles = set()
    role_tracks = {}  # role name -> set of track ids it is limited to (empty: all)
    role_grants = {}  # role name -> set of (service, operation)
    for _state, _tz_name, role, track_id, service, *flags in rows:
        if role is None:
            continue
        roles.add(role)
        tracks = role_tracks.setdefault(role, set())
        if track_id is not None and role in TRACK_SCOPED_ROLES:
            tracks.add(track_id)
        if service is not None:
            granted = role_grants.setdefault(role, set())
            granted.update((service, op) for op, flag in zip(OPERATIONS, flags, strict=False) if flag)

    grants = {}
    for role, granted in role_grants.items():
        limit = frozenset(role_tracks[role])
        for service, op in granted:
            reach = limit if (limit and service in TRACK_SCOPED_SERVICES) else _ALL_TRACKS
            current = grants.get((service, op), frozenset())
            if reach is _ALL_TRACKS or current is _ALL_TRACKS:
                grants[(service, op)] = _ALL_TRACKS
            else:
                grants[(service, op)] = current | reach
    return EventPermissions(
        event_id=event_id,
        exists=True,
        is_published=rows[0][0] == PUBLISHED,
        roles=frozenset(roles),
        grants=grants,
        is_superuser=user.is_superuser,
        is_staff=user.is_staff,
        timezone=rows[0][1],
    )


__all__ = ["OPERATIONS", "SERVICES", "EventPermissions", "forget_permissions", "permissions_for"]
