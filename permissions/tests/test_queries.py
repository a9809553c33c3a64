import pytest

from core.tests.factories import UserFactory
from events.tests.factories import EventFactory
from permissions.models import RolePermission
from permissions.names import ROLES, UnknownName
from permissions.queries import users_with_grant
from permissions.tests.factories import EventRoleFactory

pytestmark = pytest.mark.django_db


def test_users_with_grant_follow_the_stored_matrix_of_the_event_only(django_assert_num_queries):
    event, other = EventFactory(), EventFactory()
    members = {role: UserFactory() for role in ROLES}
    for role, user in members.items():
        EventRoleFactory(user=user, event=event, role=role)
    EventRoleFactory(user=members["moderator"], event=other, role="organizer")  # another event's grant
    UserFactory(is_staff=True, is_superuser=True)  # not in the team

    with django_assert_num_queries(1):
        readers = list(users_with_grant(event, "order", "read"))
    assert readers == sorted([event.created_by, members["organizer"], members["coorganizer"]], key=lambda u: u.pk)
    assert list(users_with_grant(event, "order", "delete")) == sorted(
        [event.created_by, members["organizer"]], key=lambda u: u.pk
    )
    RolePermission.objects.filter(role__name="moderator", service__name="order").update(can_read=True)
    assert members["moderator"] in users_with_grant(event, "order", "read")


def test_users_with_grant_refuses_unknown_names():
    with pytest.raises(UnknownName):
        users_with_grant(None, "orders", "read")
