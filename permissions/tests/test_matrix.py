"""The engine's copy of the matrix: read once, read again on the next request after any write to it."""

import pytest
from django.db import connection

from core.tests.factories import UserFactory
from core.versioning import read_counters
from events.tests.factories import EventFactory
from permissions import matrix
from permissions.engine import load_event, permissions_for
from permissions.models import EventRole, Role, RolePermission, Service
from permissions.names import COORGANIZER, CREATE, MODERATOR, ORGANIZER, READ, UPDATE
from permissions.tests.factories import EventRoleFactory

pytestmark = pytest.mark.django_db


def moderator_of(event):
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=MODERATOR)
    return member


def counter():
    return read_counters([matrix.MATRIX_COUNTER])[matrix.MATRIX_COUNTER]


def test_matrix_change_costs_one_query_on_the_next_request_then_none(django_assert_num_queries):
    event = EventFactory()
    first, second, third = (moderator_of(event) for _ in range(3))
    with django_assert_num_queries(1):
        assert load_event(first, event.pk) == event
    RolePermission.objects.filter(role__name=MODERATOR, service__name="sponsor").update(can_create=True)
    with django_assert_num_queries(2):  # the event (and the counter that moved), then the matrix
        assert permissions_for(second, event.pk).can(CREATE, "sponsor", anywhere=True) is True
    with django_assert_num_queries(1):
        assert permissions_for(third, event.pk).can(CREATE, "sponsor", anywhere=True) is True


@pytest.mark.parametrize("signed_in", [True, False], ids=["user without a role", "anonymous"])
def test_a_visitor_without_a_role_never_reads_the_matrix(signed_in, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    event = EventFactory(state="published")
    sponsor = RolePermission.objects.filter(role__name=MODERATOR, service__name="sponsor")
    sponsor.update(can_create=True)
    assert permissions_for(moderator_of(event), event.pk).can(CREATE, "sponsor") is True  # read at this counter
    sponsor.update(can_create=False)  # and moved since
    visitor = UserFactory() if signed_in else AnonymousUser()
    with django_assert_num_queries(1):
        assert load_event(visitor, event.pk) == event
        assert permissions_for(visitor, event.pk).can_see_event is True


@pytest.mark.parametrize(
    "write",
    [
        lambda: RolePermission.objects.filter(role__name=ORGANIZER).update(can_delete=False),
        lambda: RolePermission.objects.get(role__name=ORGANIZER, service__name="event").save(),
        lambda: RolePermission.objects.filter(role__name=MODERATOR, service__name="team").delete(),
        lambda: RolePermission.objects.bulk_update(list(RolePermission.objects.all()[:2]), ["can_read"]),
        lambda: Service.objects.create(name="ticket-extra"),
        lambda: Role.objects.get(name=MODERATOR).delete(),
    ],
    ids=["update", "save", "delete", "bulk_update", "create", "delete role"],
)
def test_every_write_to_the_matrix_moves_its_counter(write):
    before = counter()
    write()
    assert counter() == before + 1


def test_write_that_bypasses_the_orm_is_seen_after_max_age(monkeypatch):
    event = EventFactory()
    member = moderator_of(event)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE permissions_rolepermission SET can_create = %s WHERE role_id = %s AND service_id = %s",
            [True, Role.objects.get(name=MODERATOR).pk, Service.objects.get(name="sponsor").pk],
        )
    assert permissions_for(member, event.pk).can(CREATE, "sponsor", anywhere=True) is False
    read_at = matrix._current.read_at
    monkeypatch.setattr(matrix.time, "monotonic", lambda: read_at + matrix.MAX_AGE + 1)
    assert permissions_for(moderator_of(event), event.pk).can(CREATE, "sponsor", anywhere=True) is True


def test_a_role_this_process_has_not_read_is_read_on_the_first_request_that_holds_it():
    """Even when nothing moved the counter (rows written with raw SQL): the matrix lacks the user's role."""
    event, member = EventFactory(), UserFactory()
    before = counter()
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO permissions_role (name) VALUES (%s)", ["reviewer"])
        reviewer = Role.objects.get(name="reviewer")
        cursor.execute(
            "INSERT INTO permissions_rolepermission (role_id, service_id, can_create, can_read, can_update, "
            "can_delete) VALUES (%s, %s, %s, %s, %s, %s)",
            [reviewer.pk, Service.objects.get(name="sponsor").pk, False, True, False, False],
        )
    EventRole.objects.create(user=member, event=event, role=reviewer)
    assert counter() == before
    perms = permissions_for(member, event.pk)
    assert (perms.roles, perms.can(READ, "sponsor"), perms.can(READ, "event")) == (
        frozenset({"reviewer"}),
        True,
        False,
    )


def test_a_role_deleted_while_the_event_is_read_grants_nothing_and_the_others_still_do():
    """The super admin deletes a role between the engine's query and its read of the matrix (which moved)."""
    event, member = EventFactory(), UserFactory()
    EventRoleFactory(user=member, event=event, role=COORGANIZER)
    EventRoleFactory(user=member, event=event, role=MODERATOR)
    RolePermission.objects.filter(role__name=MODERATOR, service__name="sponsor").update(can_create=True)
    deleted = []

    def delete_the_role_before_the_matrix_is_read(execute, sql, params, many, context):
        if not deleted and sql.startswith('SELECT "permissions_role"."id"'):
            deleted.append(COORGANIZER)
            EventRole.objects.filter(role__name=COORGANIZER).delete()
            Role.objects.get(name=COORGANIZER).delete()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(delete_the_role_before_the_matrix_is_read):
        perms = permissions_for(member, event.pk)
    assert deleted == [COORGANIZER]
    assert (perms.roles, perms.can(CREATE, "sponsor"), perms.can(UPDATE, "event")) == (
        frozenset({MODERATOR}),
        True,
        False,
    )
