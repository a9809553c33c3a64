import pytest
from django.contrib.auth.models import AnonymousUser

from core.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import EventFactory, TrackFactory
from permissions.engine import (
    EventPermissions,
    event_id_or_none,
    forget_permissions,
    load_event,
    load_event_by_slug,
    permissions_for,
)
from permissions.models import EventRole, Role, RolePermission
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
    assert perms.operations("track") == [READ, UPDATE]
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


@pytest.mark.django_db
def test_a_missing_event_grants_nothing_even_to_the_super_admin():
    admin = UserFactory(is_staff=True, is_superuser=True)
    assert permissions_for(admin, 987654) == EventPermissions(event_id=987654, exists=False)
    assert permissions_for(admin, "not-a-number") == EventPermissions(event_id=0, exists=False)
    assert [permissions_for(admin, 987654).can(op, "event") for op in OPERATIONS] == [False] * 4


@pytest.mark.django_db
def test_track_limits_bind_track_scoped_roles_only():
    event = EventFactory()
    track = TrackFactory(event=event)
    member = UserFactory()
    # A row the team page refuses (only track organizers and moderators are limited): the limit is ignored.
    limited = EventRole.objects.create(user=member, event=event, role=Role.objects.get(name=COORGANIZER))
    limited.tracks.set([track])
    perms = permissions_for(member, event.pk)
    assert (perms.track_limit(UPDATE, "track"), perms.track_limit(READ, "session")) == (None, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        (7, 7),
        ("127", 127),
        (str(2**63 - 1), 2**63 - 1),
        ("0", None),
        ("-1", None),
        (str(2**63), None),
        ("12a", None),
        ("", None),
        (None, None),
    ],
)
def test_event_id_or_none_takes_what_a_bigint_id_can_be(value, expected):
    assert event_id_or_none(value) == expected


@pytest.mark.django_db
def test_load_event_of_a_value_no_event_can_have_is_none_without_a_query(django_assert_num_queries):
    member = UserFactory()
    with django_assert_num_queries(0):
        assert [load_event(member, value) for value in ("12a", "0", str(2**63), None)] == [None] * 4


@pytest.mark.django_db
def test_a_queryset_narrows_what_is_looked_up():
    draft = EventFactory()
    organizer, published_only = draft.created_by, Event.objects.filter(state=Event.PUBLISHED)
    assert load_event(organizer, draft.pk, queryset=published_only) is None
    assert load_event_by_slug(organizer, draft.slug, queryset=published_only) is None
    assert load_event(organizer, draft.pk, queryset=Event.objects.all()) == draft


# How a door loads the event: by id or slug, with the engine's own query or a queryset given. The engine's own
# queries are compiled once per process: the fixture below builds them again, so these tests run the code that
# builds them (a queryset builds the query on every call).
LOADS = ["by id", "by slug", "by id in a queryset", "by slug in a queryset"]
MISSING = Event(pk=987654, slug="no-such-event")


@pytest.fixture
def queries_built_anew(monkeypatch):
    from permissions import engine

    for lookup, authenticated in list(engine._QUERIES):
        query = engine._event_query(lookup, authenticated=authenticated)
        monkeypatch.setitem(engine._QUERIES, (lookup, authenticated), query)


def load(user, how, event):
    queryset = Event.objects.all() if how.endswith("queryset") else None
    if how.startswith("by slug"):
        return load_event_by_slug(user, event.slug, queryset=queryset)
    return load_event(user, event.pk, queryset=queryset)


@pytest.mark.django_db
@pytest.mark.usefixtures("queries_built_anew")
@pytest.mark.parametrize("how", LOADS)
def test_the_users_roles_and_their_tracks_come_with_the_event(how, django_assert_num_queries):
    event = EventFactory()
    track_a, track_b, track_c = (TrackFactory(event=event) for _ in range(3))
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=TRACK_ORGANIZER, tracks=[track_a, track_b])
    EventRoleFactory(user=member, event=event, role=MODERATOR, tracks=[track_c])
    with django_assert_num_queries(1):
        assert load(member, how, event) == event
        perms = permissions_for(member, event.pk)
    assert perms.roles == frozenset({TRACK_ORGANIZER, MODERATOR})
    assert perms.track_limit(UPDATE, "track") == frozenset({track_a.pk, track_b.pk})
    assert perms.track_limit(READ, "track") == frozenset({track_a.pk, track_b.pk, track_c.pk})
    assert (perms.can(READ, "event"), perms.can(UPDATE, "event"), perms.can_see_event) == (True, False, True)
    assert load(member, how, MISSING) is None


@pytest.mark.django_db
@pytest.mark.usefixtures("queries_built_anew")
@pytest.mark.parametrize("how", LOADS)
def test_roles_in_other_events_and_roles_of_others_grant_nothing(how):
    member = UserFactory()
    EventRoleFactory(user=member, event=EventFactory(), role=COORGANIZER)
    event = EventFactory()  # its creator is its organizer
    EventRoleFactory(event=event, role=MODERATOR)
    assert load(member, how, event) == event
    assert permissions_for(member, event.pk) == EventPermissions(event_id=event.pk, exists=True)


@pytest.mark.django_db
@pytest.mark.usefixtures("queries_built_anew")
@pytest.mark.parametrize("how", LOADS)
def test_anonymous_visitors_find_events_and_see_the_published_ones(how, django_assert_num_queries):
    anonymous = AnonymousUser()
    published, draft = EventFactory(state=Event.PUBLISHED), EventFactory()
    with django_assert_num_queries(3):
        assert [load(anonymous, how, event) for event in (published, draft, MISSING)] == [published, draft, None]
    assert permissions_for(anonymous, published.pk) == EventPermissions(
        event_id=published.pk, exists=True, is_published=True
    )
    assert permissions_for(anonymous, draft.pk) == EventPermissions(event_id=draft.pk, exists=True)
