import pytest

from core.tests.factories import UserFactory
from core.versioning import read_counters
from notifications.models import Notification
from notifications.services import notifications_counter, notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_for(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_lists_but_does_not_edit_notifications(admin_client_for, user):
    [notification] = notify(user, action=Notification.GENERAL, title="Hello")

    assert admin_client_for.get("/admin/notifications/notification/").status_code == 200
    assert admin_client_for.get("/admin/notifications/notification/add/").status_code == 403
    response = admin_client_for.post(
        f"/admin/notifications/notification/{notification.pk}/change/", {"title": "Changed", "user": user.pk}
    )
    assert response.status_code == 403
    assert Notification.objects.get().title == "Hello"


def test_admin_bulk_delete_bumps_the_owners_counters(admin_client_for, user):
    other = UserFactory()
    notifications = notify([user, other], action=Notification.GENERAL, title="Hello")

    response = admin_client_for.post(
        "/admin/notifications/notification/",
        {"action": "delete_selected", "_selected_action": [n.pk for n in notifications], "post": "yes"},
    )

    assert response.status_code == 302
    assert Notification.objects.count() == 0
    keys = [notifications_counter(user.pk), notifications_counter(other.pk)]
    assert list(read_counters(keys).values()) == [2, 2]
