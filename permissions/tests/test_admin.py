"""The admin door: only the super admin edits the matrix; event pages in the admin ask the engine."""

import pytest

from core.tests.factories import UserFactory
from core.versioning import read_counters
from events.models import Event, Track
from events.tests.factories import EventFactory, TrackFactory
from notifications.models import Notification
from permissions.engine import permissions_for
from permissions.models import EventRole, Role, RolePermission
from permissions.names import COORGANIZER, MODERATOR, ORGANIZER
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
    assert RolePermission.objects.count() == 40


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


def roles_counter(event):
    key = f"event.{event.pk}.roles"
    return read_counters([key])[key]


@pytest.mark.django_db
def test_admin_refuses_to_delete_the_last_organizer(client):
    event = EventFactory()
    organizer = EventRole.objects.get(event=event)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    before = roles_counter(event)

    response = client.post(f"/admin/permissions/eventrole/{organizer.pk}/delete/", {"post": "yes"}, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "An event needs at least one organizer: add another organizer first."
    ]
    assert EventRole.objects.filter(pk=organizer.pk).count() == 1
    assert roles_counter(event) == before


@pytest.mark.django_db
def test_admin_refuses_to_demote_the_last_organizer(client):
    event = EventFactory()
    organizer = EventRole.objects.get(event=event)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    moderator = Role.objects.get(name=MODERATOR)

    response = client.post(f"/admin/permissions/eventrole/{organizer.pk}/change/", {"role": moderator.pk})

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "An event needs at least one organizer: add another organizer first."
    ]
    assert EventRole.objects.get(pk=organizer.pk).role.name == ORGANIZER


@pytest.mark.django_db
def test_admin_changes_and_removes_roles_through_the_services(client):
    event = EventFactory()
    member = UserFactory()
    role = EventRoleFactory(user=member, event=event, role=MODERATOR)
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    before = roles_counter(event)

    changed = client.post(
        f"/admin/permissions/eventrole/{role.pk}/change/", {"role": Role.objects.get(name=COORGANIZER).pk}
    )
    assert changed.status_code == 302
    assert EventRole.objects.get(pk=role.pk).role.name == COORGANIZER
    assert roles_counter(event) == before + 1
    assert Notification.objects.get(user=member).title == f"Your role in {event.name} changed to Co-organizer"

    removed = client.post(f"/admin/permissions/eventrole/{role.pk}/delete/", {"post": "yes"})
    assert removed.status_code == 302
    assert EventRole.objects.filter(pk=role.pk).count() == 0
    assert Notification.objects.filter(user=member).count() == 2


@pytest.mark.django_db
def test_a_role_in_admin_offers_only_its_own_events_tracks(client):
    # Finding: the track limit's widget listed every track of the site (each event's, on every role's page).
    event = EventFactory()
    own = [TrackFactory(event=event, name=name) for name in ("Main hall", "Workshops")]
    TrackFactory(name="Another event's track")
    role = EventRoleFactory(event=event, role=MODERATOR)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    form = client.get(f"/admin/permissions/eventrole/{role.pk}/change/").context["adminform"].form
    assert list(form.fields["tracks"].queryset) == own
    refused = client.post(
        f"/admin/permissions/eventrole/{role.pk}/change/",
        {"role": Role.objects.get(name=MODERATOR).pk, "tracks": [Track.objects.get(name="Another event's track").pk]},
    )
    assert refused.status_code == 200
    assert list(EventRole.objects.get(pk=role.pk).tracks.all()) == []


@pytest.mark.django_db
def test_admin_bulk_removal_keeps_the_last_organizer(client):
    event = EventFactory()
    member_role = EventRoleFactory(event=event, role=MODERATOR)
    organizer = EventRole.objects.get(event=event, role__name=ORGANIZER)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    changelist = client.get("/admin/permissions/eventrole/")
    actions = [name for name, _label in changelist.context["action_form"].fields["action"].choices]
    assert actions == ["", "delete_selected_through_service"]

    response = client.post(
        "/admin/permissions/eventrole/",
        {"action": "delete_selected_through_service", "_selected_action": [organizer.pk, member_role.pk]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        f"{organizer}: An event needs at least one organizer: add another organizer first.",
        "Removed 1 role(s).",
    ]
    assert list(EventRole.objects.filter(event=event).values_list("pk", flat=True)) == [organizer.pk]


@pytest.mark.django_db
def test_admin_cannot_move_an_object_into_an_event_out_of_reach(client):
    """Staff organizing their own event cannot move its track (or put a new one) into someone else's event."""
    staff = UserFactory(is_staff=True)
    own, foreign = EventFactory(created_by=staff), EventFactory(name="Someone else's")
    track = TrackFactory(event=own, name="Mine")
    client.force_login(staff)

    response = client.post(
        f"/admin/events/track/{track.pk}/change/",
        {"event": foreign.pk, "name": "Injected", "description": "", "color": "#0d6efd", "location": ""},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"event": ["You may not put objects into this event."]}
    track.refresh_from_db()
    assert (track.event_id, track.name) == (own.pk, "Mine")
    assert Track.objects.filter(event=foreign).count() == 0


@pytest.mark.django_db
def test_admin_moves_an_object_between_two_events_both_in_reach(client):
    staff = UserFactory(is_staff=True)
    first, second = EventFactory(created_by=staff), EventFactory(created_by=staff)
    track = TrackFactory(event=first)
    client.force_login(staff)

    response = client.post(
        f"/admin/events/track/{track.pk}/change/",
        {"event": second.pk, "name": track.name, "description": "", "color": "#0d6efd", "location": ""},
    )

    assert response.status_code == 302
    assert Track.objects.get(pk=track.pk).event_id == second.pk
