"""A token's scope, and the engine's answers narrowed by it: role AND scope, never more."""

import pytest
from django.core.exceptions import ValidationError

from core.tests.factories import UserFactory
from events.tests.factories import EventFactory
from permissions.engine import EventPermissions, narrow_to_token, permissions_for, site_permissions
from permissions.names import CREATE, DELETE, READ, UPDATE
from permissions.tokens import TokenScope, check_scopes, parse_scopes

ALL = None


def scope(*scopes, event_id=None):
    return TokenScope(levels=parse_scopes(scopes), event_id=event_id)


@pytest.mark.parametrize(
    ("scopes", "operation", "service", "allowed"),
    [
        (["track:read"], READ, "track", True),
        (["track:read"], CREATE, "track", False),
        (["track:read"], UPDATE, "track", False),
        (["track:read"], DELETE, "track", False),
        (["track:write"], READ, "track", True),
        (["track:write"], CREATE, "track", True),
        (["track:write"], UPDATE, "track", True),
        (["track:write"], DELETE, "track", True),
        (["track:write"], READ, "session", False),
        (["track:read", "track:write"], UPDATE, "track", True),
        (["track:write", "track:read"], UPDATE, "track", True),
    ],
)
def test_a_scope_allows_read_or_write(scopes, operation, service, allowed):
    assert scope(*scopes).allows(operation, service) is allowed


def test_covers_compares_levels_services_and_the_event():
    parent = scope("track:write", "session:read", event_id=3)
    assert parent.covers(scope("track:read", event_id=3)) is True
    assert parent.covers(scope("track:write", "session:read", event_id=3)) is True
    assert parent.covers(scope("session:write", event_id=3)) is False
    assert parent.covers(scope("speaker:read", event_id=3)) is False
    assert parent.covers(scope("track:read", event_id=4)) is False
    assert parent.covers(scope("track:read")) is False
    assert scope("track:read").covers(scope("track:read", event_id=4)) is True
    assert (scope("track:read").read_only, scope("track:read", "order:write").read_only) == (True, False)


def test_check_scopes_orders_them_one_per_service_and_names_the_unknown():
    assert check_scopes(["session:read", "track:read", "track:write"]) == ["track:write", "session:read"]
    with pytest.raises(ValidationError) as unknown:
        check_scopes(["track:admin", "room:read", "track:read"])
    assert unknown.value.messages == [
        "Unknown scope track:admin, room:read; a scope is a service (event, ticket, track, session, speaker, "
        "sponsor, microlocation, team, order, webhook) followed by :read or :write."
    ]
    with pytest.raises(ValidationError) as empty:
        check_scopes([])
    assert empty.value.messages == ["Give the token at least one scope."]


def permissions(token, **kwargs):
    grants = {("track", READ): ALL, ("track", UPDATE): frozenset({7}), ("event", READ): ALL}
    return EventPermissions(event_id=1, exists=True, grants=grants, token=token, **kwargs)


def test_the_engine_answers_role_and_scope():
    narrowed = permissions(scope("track:write", "session:write"))
    assert narrowed.can(READ, "track") is True
    assert narrowed.can(UPDATE, "track", track_id=7) is True
    assert narrowed.can(UPDATE, "track", track_id=8) is False  # the role reaches track 7 only
    assert narrowed.can(CREATE, "track", anywhere=True) is False  # the role may not create
    assert narrowed.can(READ, "session", anywhere=True) is False  # nor read sessions
    assert narrowed.can(READ, "event") is False  # the token does not reach the event's details
    assert narrowed.track_limit(UPDATE, "track") == frozenset({7})
    assert narrowed.track_limit(READ, "session") == frozenset()
    assert permissions(scope("track:read")).track_limit(UPDATE, "track") == frozenset()
    assert permissions(None).can(READ, "event") is True


def test_a_superusers_token_is_narrowed_too():
    narrowed = permissions(scope("track:read"), is_superuser=True)
    assert (narrowed.can(READ, "track"), narrowed.can(DELETE, "track"), narrowed.can(READ, "order")) == (
        True,
        False,
        False,
    )
    assert narrowed.track_limit(READ, "track") is ALL
    assert narrowed.track_limit(READ, "order") == frozenset()


def test_the_event_is_seen_through_any_service_the_token_reads_there():
    draft = {"event_id": 1, "exists": True, "is_published": False}
    tracks_only = EventPermissions(**draft, grants={("track", READ): ALL}, token=scope("track:read"))
    assert tracks_only.can_see_event is True
    nothing_readable = EventPermissions(**draft, grants={("track", READ): ALL}, token=scope("session:read"))
    assert nothing_readable.can_see_event is False
    without_token = EventPermissions(**draft, grants={("track", READ): ALL})
    assert without_token.can_see_event is False  # as before: a session needs a read grant on the event


class User:
    is_authenticated = True
    is_superuser = False
    is_staff = False

    def __init__(self, token=None):
        if token is not None:
            narrow_to_token(self, token)


def test_creating_events_needs_event_write_and_no_event_limit():
    assert site_permissions(User()).can(CREATE, "event") is True
    assert site_permissions(User(scope("event:write"))).can(CREATE, "event") is True
    assert site_permissions(User(scope("event:read"))).can(CREATE, "event") is False
    assert site_permissions(User(scope("event:write", event_id=3))).can(CREATE, "event") is False


@pytest.mark.django_db
def test_an_event_outside_the_tokens_limit_does_not_exist_for_the_request():
    organizer = UserFactory()
    mine, other = EventFactory(created_by=organizer), EventFactory(created_by=organizer)
    narrow_to_token(organizer, scope("event:write", event_id=mine.pk))
    assert permissions_for(organizer, other.pk) == EventPermissions(event_id=other.pk, exists=False)
    limited = permissions_for(organizer, mine.pk)
    assert (limited.exists, limited.can(UPDATE, "event"), limited.can(READ, "track", anywhere=True)) == (
        True,
        True,
        False,
    )


@pytest.mark.django_db
def test_narrowing_to_a_token_drops_the_answers_given_before():
    event = EventFactory()
    organizer = event.created_by
    assert permissions_for(organizer, event.pk).can(DELETE, "event") is True
    narrow_to_token(organizer, scope("event:read"))
    narrowed = permissions_for(organizer, event.pk)
    assert (narrowed.can(READ, "event"), narrowed.can(DELETE, "event")) == (True, False)
