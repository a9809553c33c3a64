"""The engine's copy of the matrix: read once, read again on the next request after any write to it."""

import pytest
from django.db import connection

from core.tests.factories import UserFactory
from core.versioning import read_counters
from events.tests.factories import EventFactory
from permissions import matrix
from permissions.engine import load_event, permissions_for
from permissions.models import Role, RolePermission, Service
from permissions.names import CREATE, MODERATOR, ORGANIZER
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
