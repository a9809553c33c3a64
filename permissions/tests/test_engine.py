import pytest

from core.tests.factories import UserFactory
from events.tests.factories import EventFactory, TrackFactory
from permissions.engine import forget_permissions, permissions_for
from permissions.models import RolePermission
from permissions.names import (
    COORGANIZER,
    CREATE,
    DELETE,
    MODERATOR,
    OPERATIONS,
    READ,
    ROLES,
    SERVICES,
    TRACK_ORGANIZER,
    UPDATE,
    UnknownName,
    default_grants,
)
from permissions.tests.doors import README_CELLS as MATRIX_CELLS
from permissions.tests.doors import README_MATRIX
from permissions.tests.factories import EventRoleFactory


def test_declared_matrix_matches_the_readme_table_in_every_cell():
    declared = [
        (role, service, operation, expected)
        for role in ROLES
        for service in SERVICES
        for operation, expected in zip(OPERATIONS, default_grants(role, service), strict=True)
    ]
    assert sorted(declared) == sorted(MATRIX_CELLS)
    assert len(MATRIX_CELLS) == 4 * 10 * 4


def test_the_readme_carries_the_same_table():
    from pathlib import Path

    lines = (Path(__file__).resolve().parents[2] / "README.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.replace(" ", "").startswith("|role|event|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip().replace(" ", "") for cell in line.strip("|").split("|")]
        if not set(cells[0]) <= {"-"}:  # skip the |---|---| separator
            table.append(cells)
    expected = [[cell.strip() for cell in line.split("|")] for line in README_MATRIX.strip().splitlines()]
    assert table == expected


@pytest.mark.django_db
def test_seeded_matrix_equals_declared_default():
    stored = {
        (p.role.name, p.service.name): (p.can_create, p.can_read, p.can_update, p.can_delete)
        for p in RolePermission.objects.select_related("role", "service")
    }
    assert stored == {(role, service): default_grants(role, service) for role in ROLES for service in SERVICES}


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "service", "operation", "expected"), MATRIX_CELLS)
def test_engine_answers_the_matrix(role, service, operation, expected):
    event = EventFactory()
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=role)
    assert permissions_for(member, event.pk).can(operation, service, anywhere=True) is expected


@pytest.mark.django_db
def test_engine_costs_one_query_for_four_roles(django_assert_num_queries):
    event = EventFactory()
    member = UserFactory()
    for role in ROLES:
        EventRoleFactory(user=member, event=event, role=role)
    with django_assert_num_queries(1):
        perms = permissions_for(member, event.pk)
        assert perms.can(CREATE, "ticket", anywhere=True) is True
        assert perms.roles == frozenset(ROLES)
    with django_assert_num_queries(0):
        assert permissions_for(member, event.pk) is perms


@pytest.mark.django_db
def test_engine_for_stranger_sees_no_draft_event(django_assert_num_queries):
    event = EventFactory()
    stranger = UserFactory()
    with django_assert_num_queries(1):
        perms = permissions_for(stranger, event.pk)
    assert perms.exists is True
    assert perms.can_see_event is False
    assert perms.operations("event") == []


@pytest.mark.django_db
def test_engine_for_missing_event():
    perms = permissions_for(UserFactory(), 987654)
    assert perms.exists is False
    assert perms.can_see_event is False
    assert permissions_for(UserFactory(), "not-a-number").exists is False


@pytest.mark.django_db
def test_engine_lets_anyone_see_a_published_event_but_grants_nothing():
    event = EventFactory(state="published")
    perms = permissions_for(UserFactory(), event.pk)
    assert perms.can_see_event is True
    assert perms.can(READ, "ticket", anywhere=True) is False


@pytest.mark.django_db
def test_staff_reads_everything_and_writes_nothing():
    event = EventFactory()
    staff = UserFactory(is_staff=True)
    perms = permissions_for(staff, event.pk)
    assert [perms.can(READ, service, anywhere=True) for service in SERVICES] == [True] * 10
    assert [perms.can(op, service) for op in (CREATE, UPDATE, DELETE) for service in SERVICES] == [False] * 30


@pytest.mark.django_db
def test_superuser_does_everything():
    event = EventFactory()
    admin = UserFactory(is_staff=True, is_superuser=True)
    perms = permissions_for(admin, event.pk)
    assert [perms.can(op, service) for op in OPERATIONS for service in SERVICES] == [True] * 40


@pytest.mark.django_db
def test_unknown_names_raise_at_once():
    perms = permissions_for(UserFactory(), EventFactory().pk)
    with pytest.raises(UnknownName):
        perms.can("edit", "track")
    with pytest.raises(UnknownName):
        perms.can(READ, "tracks")


def test_mixin_with_misspelt_service_fails_at_class_creation():
    from django.views import View

    from permissions.mixins import EventPermissionMixin

    with pytest.raises(UnknownName):
        type("BadView", (EventPermissionMixin, View), {"service": "speakers", "operation": READ})


@pytest.mark.django_db
def test_track_limited_role_reaches_only_its_tracks():
    event = EventFactory()
    track_a, track_b = TrackFactory(event=event), TrackFactory(event=event)
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=TRACK_ORGANIZER, tracks=[track_a])
    perms = permissions_for(member, event.pk)
    assert perms.can(UPDATE, "track", track_id=track_a.pk) is True
    assert perms.can(UPDATE, "track", track_id=track_b.pk) is False
    assert perms.can(UPDATE, "track", anywhere=True) is True
    assert perms.track_limit(READ, "track") == frozenset({track_a.pk})
    # Limits apply to track-scoped services only: the event itself stays readable.
    assert perms.can(READ, "event") is True


@pytest.mark.django_db
def test_unlimited_role_covers_every_track():
    event = EventFactory()
    track_b = TrackFactory(event=event)
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=TRACK_ORGANIZER)
    perms = permissions_for(member, event.pk)
    assert perms.can(UPDATE, "track", track_id=track_b.pk) is True
    assert perms.track_limit(UPDATE, "track") is None


@pytest.mark.django_db
def test_limited_and_unlimited_roles_combine_to_unlimited():
    event = EventFactory()
    track_a, track_b = TrackFactory(event=event), TrackFactory(event=event)
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=MODERATOR, tracks=[track_a])
    EventRoleFactory(user=member, event=event, role=COORGANIZER)
    perms = permissions_for(member, event.pk)
    assert perms.can(READ, "track", track_id=track_b.pk) is True
    assert perms.can(DELETE, "track", track_id=track_a.pk) is False


@pytest.mark.django_db
def test_matrix_change_applies_on_next_request():
    event = EventFactory()
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=MODERATOR)
    assert permissions_for(member, event.pk).can(CREATE, "sponsor") is False
    RolePermission.objects.filter(role__name=MODERATOR, service__name="sponsor").update(can_create=True)
    # The same user object is memoised for its request...
    assert permissions_for(member, event.pk).can(CREATE, "sponsor") is False
    forget_permissions(member)
    # ...and the next request (a fresh user object) sees the change.
    assert permissions_for(member, event.pk).can(CREATE, "sponsor") is True


@pytest.mark.django_db
def test_track_limit_of_superuser_staff_and_member():
    event = EventFactory()
    track = TrackFactory(event=event)
    superuser = UserFactory(is_superuser=True)  # not staff: being superuser is enough
    staff, limited = UserFactory(is_staff=True), UserFactory()
    EventRoleFactory(event=event, user=limited, role=TRACK_ORGANIZER, tracks=[track])

    assert permissions_for(superuser, event).track_limit(UPDATE, "track") is None
    assert permissions_for(staff, event).track_limit(READ, "track") is None
    assert permissions_for(staff, event).track_limit(UPDATE, "track") == frozenset()
    assert permissions_for(limited, event).track_limit(UPDATE, "track") == frozenset({track.pk})


@pytest.mark.django_db
def test_site_permissions_let_anyone_signed_in_create_events_and_staff_read():
    from django.contrib.auth.models import AnonymousUser

    from permissions.engine import site_permissions

    anonymous, member = site_permissions(AnonymousUser()), site_permissions(UserFactory())
    staff, superuser = site_permissions(UserFactory(is_staff=True)), site_permissions(UserFactory(is_superuser=True))
    assert [anonymous.can(CREATE, "event"), anonymous.can(READ, "event")] == [False, False]
    assert [member.can(CREATE, "event"), member.can(READ, "event"), member.can(UPDATE, "event")] == [True, False, False]
    assert [staff.can(READ, "event"), staff.can(UPDATE, "event")] == [True, False]
    assert [superuser.can(UPDATE, "event"), superuser.can(DELETE, "session")] == [True, True]
    assert (anonymous.exists, anonymous.event_id, site_permissions(None).can(CREATE, "event")) == (True, 0, False)


@pytest.mark.django_db
def test_load_event_by_slug_answers_later_permission_questions_without_a_query(django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    from permissions.engine import load_event_by_slug

    event = EventFactory(slug="summit")
    organizer = type(event.created_by).objects.get(pk=event.created_by_id)
    with django_assert_num_queries(1):
        loaded = load_event_by_slug(organizer, "summit")
    with django_assert_num_queries(0):
        assert permissions_for(organizer, loaded.pk).can(DELETE, "event") is True
    assert loaded.pk == event.pk
    assert load_event_by_slug(organizer, "no-such-event") is None
    assert load_event_by_slug(AnonymousUser(), "summit").pk == event.pk


@pytest.mark.django_db
def test_load_event_with_a_queryset_of_its_own_reads_the_users_grants(django_assert_num_queries):
    from events.models import Event
    from permissions.engine import load_event

    event = EventFactory()
    organizer = type(event.created_by).objects.get(pk=event.created_by_id)
    with django_assert_num_queries(1):
        loaded = load_event(organizer, event.pk, queryset=Event.objects.select_related("created_by"))
    with django_assert_num_queries(0):
        assert loaded.created_by.pk == organizer.pk
        assert permissions_for(organizer, event.pk).can(DELETE, "event") is True


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [True, False], ids=["member", "anonymous"])
def test_the_event_comes_with_its_list_counters(signed_in, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    from core.counters import read_counters
    from core.versioning import forget_loaded_counters, loaded_counter
    from events.models import Event
    from permissions.engine import load_event

    organizer = UserFactory()
    event, other = EventFactory(created_by=organizer, state=Event.PUBLISHED), EventFactory()
    TrackFactory(event=event)
    TrackFactory(event=event)
    keys = [f"event.{event.pk}.tracks", f"event.{event.pk}.sessions", f"event.{event.pk}.public.sessions"]
    stored = read_counters(keys)
    assert stored[keys[0]] >= 2  # two tracks created: the counter moved

    with django_assert_num_queries(1):
        loaded = load_event(organizer if signed_in else AnonymousUser(), event.pk)
        values = [loaded_counter(loaded, key) for key in keys]

    assert values == [stored[key] for key in keys]
    assert loaded_counter(loaded, f"event.{event.pk}.no-such-list") == 0  # never bumped
    assert loaded_counter(loaded, f"event.{other.pk}.tracks") is None  # another event's: not read with this one
    forget_loaded_counters(loaded)
    assert loaded_counter(loaded, keys[0]) is None


@pytest.mark.django_db
def test_the_engines_queries_stay_within_what_psycopg_parses_once():
    """psycopg caches the parsing of a query of at most 4,096 characters and 50 parameters; beyond, it
    parses it on every call (2 ms a request when the counters' keys were parameters)."""
    from permissions.authentication import _EVENT_BY_LEGACY_KEY, _EVENT_BY_PERSONAL_KEY
    from permissions.engine import _QUERIES

    statements = [(query.compiled("default").sql, query.compiled("default").params) for query in _QUERIES.values()]
    for pair in (_EVENT_BY_LEGACY_KEY, _EVENT_BY_PERSONAL_KEY):  # the token's owner and the event, one statement
        halves = (pair.left.compiled("default"), pair.right.compiled("default"))
        statements.append((pair.sql("default"), [param for half in halves for param in half.params]))
    for sql, params in statements:
        assert len(sql) <= 4096
        assert len(params) <= 50
