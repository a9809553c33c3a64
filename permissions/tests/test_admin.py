"""The admin door: only the super admin edits the matrix; event pages in the admin ask the engine."""

import pytest

from events.models import Event
from events.tests.factories import EventFactory
from eventsite.tests.factories import UserFactory
from permissions.engine import permissions_for
from permissions.models import RolePermission
from permissions.tests.factories import EventRoleFactory


def matrix_row(role, service):
    return RolePermission.objects.get(role__name=role, service__name=service)


def change_form(row, **flags):
    data = {f"can_{op}": "on" for op in ("create", "read", "update", "delete") if getattr(row, f"can_{op}")}
    data.update({f"can_{op}": "on" for op, value in flags.items() if value})
    for op, value in flags.items():
        if not value:
            data.pop(f"can_{op}", None)
    return data


@pytest.mark.django_db
def test_super_admin_edits_the_matrix_and_the_engine_follows(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    row = matrix_row("moderator", "sponsor")
    url = f"/admin/permissions/rolepermission/{row.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, change_form(row, create=True, read=True))
    assert response.status_code == 302
    event = EventFactory()
    moderator = UserFactory()
    EventRoleFactory(user=moderator, event=event, role="moderator")
    assert permissions_for(moderator, event.pk).operations("sponsor") == ["create", "read"]


@pytest.mark.django_db
def test_staff_sees_the_matrix_but_cannot_change_it(client):
    client.force_login(UserFactory(is_staff=True))
    row = matrix_row("moderator", "sponsor")
    assert client.get("/admin/permissions/rolepermission/").status_code == 200
    url = f"/admin/permissions/rolepermission/{row.pk}/change/"
    response = client.post(url, change_form(row, create=True))
    assert response.status_code == 403
    assert matrix_row("moderator", "sponsor").can_create is False


@pytest.mark.django_db
def test_nobody_adds_or_deletes_matrix_rows_in_admin(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    row = matrix_row("organizer", "event")
    assert client.get("/admin/permissions/rolepermission/add/").status_code == 403
    assert client.post(f"/admin/permissions/rolepermission/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert RolePermission.objects.count() == 28


@pytest.mark.django_db
def test_staff_reads_events_in_admin_but_changes_need_the_engine(client):
    event = EventFactory(name="Original")
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/admin/events/event/").status_code == 200
    url = f"/admin/events/event/{event.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "Changed by staff",
            "slug": event.slug,
            "starts_at_0": "2030-01-01",
            "starts_at_1": "09:00:00",
            "ends_at_0": "2030-01-02",
            "ends_at_1": "18:00:00",
            "timezone": "UTC",
            "state": "draft",
        },
    )
    assert response.status_code == 403
    assert Event.objects.get(pk=event.pk).name == "Original"


@pytest.mark.django_db
def test_non_staff_has_no_admin(client):
    client.force_login(UserFactory())
    assert client.get("/admin/permissions/rolepermission/").status_code == 302
