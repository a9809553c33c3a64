"""Managing the team: roles API, team page, invites, the last organizer rule."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.accounts import UNVERIFIED
from core.sockets import account_group
from core.tests.factories import UserFactory
from core.tests.layer import heard_after_commit
from core.tests.time import iso
from events.tests.factories import EventFactory, TrackFactory
from notifications.models import Notification
from permissions.models import EventRole, RoleInvite, RolePermission
from permissions.names import COORGANIZER, MODERATOR, ORGANIZER, TRACK_ORGANIZER
from permissions.services import (
    AlreadyHoldsRoleError,
    InviteError,
    LastOrganizerError,
    accept_invite,
    change_role,
    check_role_change,
    decline_invite,
    find_invite,
    find_invite_for,
    grant_role,
    invite,
    remove_role,
)
from permissions.tests.factories import EventRoleFactory


def roles_url(event, pk=None):
    return f"/api/v1/events/{event.pk}/roles/" + (f"{pk}/" if pk else "")


@pytest.mark.django_db
def test_create_event_makes_creator_organizer():
    event = EventFactory()
    assert list(EventRole.objects.filter(event=event).values_list("user_id", "role__name")) == [
        (event.created_by_id, ORGANIZER)
    ]


@pytest.mark.django_db
def test_api_create_event_by_any_user_makes_them_organizer(api_for):
    creator = UserFactory()
    response = api_for(creator).post(
        "/api/v1/events/",
        {"name": "PyCon", "starts_at": "2030-05-01T09:00:00Z", "ends_at": "2030-05-03T18:00:00Z"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["slug"] == "pycon"
    assert response.json()["state"] == "draft"
    assert EventRole.objects.get(event_id=response.json()["id"]).role.name == ORGANIZER


@pytest.mark.django_db
def test_api_create_event_with_end_before_start_is_400_and_saves_nothing(api_for):
    response = api_for(UserFactory()).post(
        "/api/v1/events/",
        {"name": "Backwards", "starts_at": "2030-05-03T09:00:00Z", "ends_at": "2030-05-01T18:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"ends_at": ["The event must end after it starts."]}
    assert EventRole.objects.count() == 0


def invites_url(event, pk=None):
    return f"/api/v1/events/{event.pk}/invites/" + (f"{pk}/" if pk else "")


@pytest.mark.django_db
def test_api_organizer_invites_then_changes_and_removes_a_role(api_for, client, django_capture_on_commit_callbacks):
    event = EventFactory()
    member = UserFactory(email="Member@Example.com", verified=True)
    track = TrackFactory(event=event)
    api = api_for(event.created_by)

    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(invites_url(event), {"email": "member@example.com", "role": MODERATOR}, format="json")
    assert created.status_code == 201
    assert (created.json()["email"], created.json()["role"], created.json()["state"]) == (
        "member@example.com",
        MODERATOR,
        "pending",
    )
    # Nothing is granted until the invitee accepts.
    assert EventRole.objects.filter(event=event, user=member).count() == 0
    client.force_login(member)
    assert client.post(Notification.objects.get(user=member).url, {"answer": "accept"}).status_code == 302
    role = EventRole.objects.get(event=event, user=member)

    changed = api.patch(roles_url(event, role.pk), {"role": TRACK_ORGANIZER, "tracks": [track.pk]}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["role"], changed.json()["tracks"]) == (TRACK_ORGANIZER, [track.pk])

    assert api.delete(roles_url(event, role.pk)).status_code == 204
    assert EventRole.objects.filter(event=event, user=member).count() == 0
    assert list(Notification.objects.filter(user=member).values_list("action", flat=True)) == [
        "role_removed",
        "role_changed",
        "role_invite",
    ]


@pytest.mark.django_db
def test_api_never_grants_a_role_directly(api_for):
    event = EventFactory()
    member = UserFactory(verified=True)
    response = api_for(event.created_by).post(
        roles_url(event), {"email": member.email, "role": MODERATOR}, format="json"
    )
    assert response.status_code == 405
    assert EventRole.objects.filter(event=event, user=member).count() == 0


@pytest.mark.django_db
def test_api_invite_answers_alike_for_known_and_unknown_addresses(api_for, django_capture_on_commit_callbacks):
    event = EventFactory(name="Summit")
    UserFactory(email="known@example.com")
    api = api_for(event.created_by)
    with django_capture_on_commit_callbacks(execute=True):
        known = api.post(invites_url(event), {"email": "known@example.com", "role": MODERATOR}, format="json")
        unknown = api.post(invites_url(event), {"email": "nobody@example.com", "role": MODERATOR}, format="json")
    shape = lambda answer: (answer.status_code, sorted(answer.json()), answer.json()["state"])  # noqa: E731
    assert shape(known) == shape(unknown) == (201, sorted(known.json()), "pending")
    # The unknown address got a sign-up link by email; the known one a notification.
    assert [message.to for message in mail.outbox] == [["nobody@example.com"]]


@pytest.mark.django_db
def test_api_cancel_a_pending_invite(api_for):
    event = EventFactory()
    api = api_for(event.created_by)
    created = api.post(invites_url(event), {"email": "later@example.com", "role": MODERATOR}, format="json").json()
    assert api.delete(invites_url(event, created["id"])).status_code == 204
    assert RoleInvite.objects.get(pk=created["id"]).state == RoleInvite.CANCELLED
    assert api.get(invites_url(event, created["id"])).json()["state"] == "cancelled"


@pytest.mark.django_db
def test_api_tracks_of_another_event_are_refused(api_for):
    event, other = EventFactory(), EventFactory()
    foreign_track = TrackFactory(event=other)
    role = EventRoleFactory(event=event, role=MODERATOR)
    response = api_for(event.created_by).patch(roles_url(event, role.pk), {"tracks": [foreign_track.pk]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"tracks": [f'Invalid pk "{foreign_track.pk}" - object does not exist.']}
    assert list(EventRole.objects.get(pk=role.pk).tracks.all()) == []


@pytest.mark.django_db
def test_api_only_organizer_manages_roles(api_for):
    event = EventFactory()
    coorganizer = UserFactory()
    EventRoleFactory(user=coorganizer, event=event, role=COORGANIZER)
    api = api_for(coorganizer)
    organizer_role = EventRole.objects.get(event=event, role__name=ORGANIZER)
    # The seeded matrix gives the service "team" to organizers only.
    assert api.get(roles_url(event)).status_code == 403
    new_member = UserFactory()
    assert (
        api.post(invites_url(event), {"email": new_member.email, "role": MODERATOR}, format="json").status_code == 403
    )
    assert RoleInvite.objects.filter(event=event).count() == 0
    # A role one may not even read is a 404, like a missing one.
    assert api.delete(roles_url(event, organizer_role.pk)).status_code == 404
    assert sorted(EventRole.objects.filter(event=event).values_list("role__name", flat=True)) == [
        COORGANIZER,
        ORGANIZER,
    ]


@pytest.mark.django_db
def test_api_team_follows_the_matrix_when_the_super_admin_widens_it(api_for):
    event = EventFactory()
    coorganizer = UserFactory()
    EventRoleFactory(user=coorganizer, event=event, role=COORGANIZER)
    RolePermission.objects.filter(role__name=COORGANIZER, service__name="team").update(can_read=True)
    api = api_for(coorganizer)
    listed = api.get(roles_url(event))
    assert (listed.status_code, listed.json()["count"]) == (200, 2)
    organizer_role = EventRole.objects.get(event=event, role__name=ORGANIZER)
    assert api.delete(roles_url(event, organizer_role.pk)).status_code == 403
    assert EventRole.objects.filter(pk=organizer_role.pk).count() == 1


@pytest.mark.django_db
def test_api_last_organizer_cannot_be_removed_or_demoted(api_for):
    event = EventFactory()
    organizer_role = EventRole.objects.get(event=event, role__name=ORGANIZER)
    api = api_for(event.created_by)
    expected = {"non_field_errors": ["An event needs at least one organizer: add another organizer first."]}

    removed = api.delete(roles_url(event, organizer_role.pk))
    assert (removed.status_code, removed.json()) == (400, expected)
    demoted = api.patch(roles_url(event, organizer_role.pk), {"role": MODERATOR}, format="json")
    assert (demoted.status_code, demoted.json()) == (400, expected)
    assert EventRole.objects.get(pk=organizer_role.pk).role.name == ORGANIZER


@pytest.mark.django_db
def test_api_second_organizer_allows_removing_the_first(api_for):
    event = EventFactory()
    second = UserFactory()
    EventRoleFactory(user=second, event=event, role=ORGANIZER)
    first_role = EventRole.objects.get(event=event, user=event.created_by)
    assert api_for(second).delete(roles_url(event, first_role.pk)).status_code == 204
    assert list(EventRole.objects.filter(event=event).values_list("user_id", "role__name")) == [(second.pk, ORGANIZER)]


@pytest.mark.django_db
def test_api_roles_list_queries_are_constant(api_for, django_assert_num_queries):
    event = EventFactory()
    api = api_for(event.created_by)
    # engine with the ETag's counter (1) + page (1) + tracks prefetch (1); no COUNT: the page holds the list
    with django_assert_num_queries(3):
        assert api.get(roles_url(event)).json()["count"] == 1
    for _ in range(2):
        EventRoleFactory(event=event, role=MODERATOR)
    api = api_for(type(event.created_by).objects.get(pk=event.created_by_id))
    with django_assert_num_queries(3):
        assert api.get(roles_url(event)).json()["count"] == 3


@pytest.mark.django_db
def test_invite_existing_user_notifies_and_accept_grants(client, django_capture_on_commit_callbacks):
    event = EventFactory()
    invitee = UserFactory(email="guest@example.com", verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        role_invite, token = invite(
            event=event, email="GUEST@example.com", role_name=COORGANIZER, invited_by=event.created_by
        )
    notification = Notification.objects.get(user=invitee)
    assert notification.action == "role_invite"
    assert notification.url == f"/roles/invites/{token}/"
    assert mail.outbox == []

    client.force_login(invitee)
    page = client.get(notification.url)
    assert page.status_code == 200
    assert b"Accept" in page.content
    response = client.post(notification.url, {"answer": "accept"})
    assert response.status_code == 302
    assert response["Location"] == f"/events/{event.pk}/"
    assert EventRole.objects.get(event=event, user=invitee).role.name == COORGANIZER
    assert RoleInvite.objects.get(pk=role_invite.pk).state == RoleInvite.ACCEPTED
    # Single use.
    assert client.post(notification.url, {"answer": "accept"}).status_code == 400


@pytest.mark.django_db
def test_invite_token_is_stored_hashed(django_capture_on_commit_callbacks):
    event = EventFactory()
    role_invite, token = invite(event=event, email="x@example.com", role_name=MODERATOR, invited_by=event.created_by)
    stored = RoleInvite.objects.get(pk=role_invite.pk).token_hash
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored
    # The token finds its invite through the hash only.
    assert find_invite(token).pk == role_invite.pk


@pytest.mark.django_db
def test_invite_unknown_email_sends_signup_link_and_signup_grants_role(client, django_capture_on_commit_callbacks):
    event = EventFactory(name="Summit")
    with django_capture_on_commit_callbacks(execute=True):
        invite(event=event, email="new@example.com", role_name=MODERATOR, invited_by=event.created_by)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]
    assert mail.outbox[0].subject == "Invitation: Moderator of Summit"
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/signup/" in line).split(": ", 1)[1]
    # Links that leave the site are absolute, on the configured site address.
    assert link.startswith("http://127.0.0.1:8000/accounts/signup/?invite=")
    token = link.split("invite=")[1].split("&")[0]
    link = link.removeprefix("http://127.0.0.1:8000")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            link,
            {
                "email": "new@example.com",
                "first_name": "New",
                "last_name": "Person",
                "password1": "a-long-unique-passphrase",
                "password2": "a-long-unique-passphrase",
                "invite": token,
            },
        )
    assert response.status_code == 302
    assert response["Location"] == f"/roles/invites/{token}/"
    # The invite's link was mailed to new@example.com: signing up from it with that address proves the address
    # (test_invites.py: another address signing up from the link still confirms it first).
    page = client.get(response["Location"])
    assert page.context["unverified"] is False
    assert [message for message in mail.outbox if message.subject == "Confirm your email address"] == []
    assert client.post(response["Location"], {"answer": "accept"}).status_code == 302
    assert EventRole.objects.get(event=event, user__email="new@example.com").role.name == MODERATOR


@pytest.mark.django_db
def test_invite_for_someone_else_is_refused(client):
    event = EventFactory()
    _, token = invite(event=event, email="a@example.com", role_name=MODERATOR, invited_by=event.created_by)
    client.force_login(UserFactory(email="b@example.com"))
    page = client.get(f"/roles/invites/{token}/")
    assert page.context["wrong_user"] is True
    response = client.post(f"/roles/invites/{token}/", {"answer": "accept"})
    assert response.status_code == 400
    assert response.context["error"] == "This invitation was sent to another email address."
    assert EventRole.objects.filter(event=event, role__name=MODERATOR).count() == 0


@pytest.mark.django_db
def test_expired_invite_is_refused():
    event = EventFactory()
    user = UserFactory(email="late@example.com")
    role_invite, token = invite(event=event, email=user.email, role_name=MODERATOR, invited_by=event.created_by)
    RoleInvite.objects.filter(pk=role_invite.pk).update(expires_at=timezone.now())
    with pytest.raises(Exception, match="This invitation has expired"):
        accept_invite(token=token, user=user)


@pytest.mark.django_db
def test_decline_marks_invite_and_grants_nothing(client):
    event = EventFactory()
    user = UserFactory(email="no@example.com")
    role_invite, token = invite(event=event, email=user.email, role_name=MODERATOR, invited_by=event.created_by)
    client.force_login(user)
    assert client.post(f"/roles/invites/{token}/", {"answer": "decline"}).status_code == 302
    assert RoleInvite.objects.get(pk=role_invite.pk).state == RoleInvite.DECLINED
    assert EventRole.objects.filter(event=event, user=user).count() == 0


@pytest.mark.django_db
def test_team_page_invite_change_remove(client):
    event = EventFactory()
    member = UserFactory()
    role = EventRoleFactory(user=member, event=event, role=MODERATOR)
    client.force_login(event.created_by)
    url = f"/roles/events/{event.pk}/team/"

    assert client.get(url).status_code == 200
    assert (
        client.post(url, {"action": "invite", "email": "someone@example.com", "role": COORGANIZER}).status_code == 302
    )
    assert RoleInvite.objects.get(event=event).email == "someone@example.com"

    client.post(url, {"action": "change", "role_id": role.pk, f"role-{role.pk}-role": COORGANIZER})
    assert EventRole.objects.get(pk=role.pk).role.name == COORGANIZER

    client.post(url, {"action": "remove", "role_id": role.pk})
    assert EventRole.objects.filter(pk=role.pk).count() == 0

    own = EventRole.objects.get(event=event, user=event.created_by)
    response = client.post(url, {"action": "remove", "role_id": own.pk}, follow=True)
    assert [str(m) for m in response.context["messages"]][-1] == (
        "An event needs at least one organizer: add another organizer first."
    )
    assert EventRole.objects.filter(pk=own.pk).count() == 1


@pytest.mark.django_db
def test_team_page_refuses_changes_from_moderator(client):
    event = EventFactory()
    moderator = UserFactory()
    EventRoleFactory(user=moderator, event=event, role=MODERATOR)
    client.force_login(moderator)
    url = f"/roles/events/{event.pk}/team/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"action": "invite", "email": "x@example.com", "role": ORGANIZER}).status_code == 403
    assert RoleInvite.objects.count() == 0


@pytest.mark.django_db
def test_invite_email_subject_is_one_line_whatever_the_event_name(django_capture_on_commit_callbacks):
    """Finding: an event name with CR/LF made the invite to an unknown address fail after it was saved."""
    event = EventFactory(name="Summit\r\nBcc: everyone@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        invite(event=event, email="new@example.com", role_name=MODERATOR, invited_by=event.created_by)
    [message] = mail.outbox
    assert message.subject == "Invitation: Moderator of Summit Bcc: everyone@example.com"
    assert message.to == ["new@example.com"]
    assert RoleInvite.objects.filter(event=event, state=RoleInvite.PENDING).count() == 1


@pytest.mark.django_db
def test_changing_a_role_into_one_the_person_holds_already_is_refused():
    event = EventFactory()
    person = UserFactory()
    moderator = EventRoleFactory(event=event, user=person, role=MODERATOR)
    EventRoleFactory(event=event, user=person, role=COORGANIZER)
    with pytest.raises(AlreadyHoldsRoleError):
        change_role(event_role=moderator, role_name=COORGANIZER, changed_by=event.created_by)
    held = sorted(EventRole.objects.filter(event=event, user=person).values_list("role__name", flat=True))
    assert held == [COORGANIZER, MODERATOR]
    # Another person may take the role they hold.
    other = EventRoleFactory(event=event, role=MODERATOR)
    assert change_role(event_role=other, role_name=COORGANIZER, changed_by=event.created_by).role.name == COORGANIZER


@pytest.mark.django_db
def test_an_unknown_invite_token_is_refused_as_invalid():
    with pytest.raises(InviteError) as refused:
        find_invite("no-such-token")
    assert (refused.value.messages, refused.value.code) == (["This invitation link is not valid."], "invalid")


@pytest.mark.django_db
def test_only_track_scoped_roles_can_be_limited_to_tracks():
    event = EventFactory()
    with pytest.raises(ValidationError) as refused:
        EventRoleFactory(event=event, role=COORGANIZER, tracks=[TrackFactory(event=event)])
    assert refused.value.message_dict == {"tracks": ["Only moderator and track_organizer roles can be limited."]}
    assert EventRole.objects.filter(event=event, role__name=COORGANIZER).count() == 0


@pytest.mark.django_db
def test_an_unverified_address_cannot_accept_and_says_why(django_capture_on_commit_callbacks):
    event = EventFactory()
    guest = UserFactory(email="guest@example.com")
    role_invite, token = invite(event=event, email=guest.email, role_name=MODERATOR, invited_by=event.created_by)
    with pytest.raises(InviteError) as refused:
        accept_invite(user=guest, token=token)
    assert (refused.value.messages, refused.value.code) == ([UNVERIFIED], "unverified")
    assert RoleInvite.objects.get(pk=role_invite.pk).state == RoleInvite.PENDING


@pytest.mark.django_db
def test_accepting_locks_the_invites_row_only(django_assert_num_queries, django_capture_on_commit_callbacks):
    """The event and role rows read with the invite stay free for others (FOR UPDATE OF the invite)."""
    from django.db import connection

    if not connection.features.has_select_for_update_of:
        pytest.skip("SQLite has no row locks (PostgreSQL pass)")
    event = EventFactory()
    guest = UserFactory(email="guest@example.com", verified=True)
    _invite, token = invite(event=event, email=guest.email, role_name=MODERATOR, invited_by=event.created_by)
    # 21, 7 more since whoever invited is told the answer (their place in the team, then notify()'s writes),
    # and 1 since an invite does not give a second role (whether the guest joined the team otherwise meanwhile).
    with django_assert_num_queries(29) as captured:
        accept_invite(user=guest, token=token)
    assert locks(captured)[0] == ' OF "permissions_roleinvite"'


def told_to_sockets(user, act, capture_on_commit):
    """Run ``act()`` and commit; return (what it returned, every message the user's sockets' group then got)."""
    group = account_group(user.pk)
    result, heard, _callbacks = heard_after_commit([group], act, capture_on_commit, more=0.2)
    return result, heard[group]


@pytest.mark.django_db
def test_granting_changing_and_removing_a_role_each_tell_the_persons_sockets_once(django_capture_on_commit_callbacks):
    event = EventFactory()
    person = UserFactory()
    told = [{"type": "access.changed", "event": event.pk}]

    def grant():
        return grant_role(user=person, event=event, role_name=MODERATOR, granted_by=event.created_by)

    role, granted = told_to_sockets(person, grant, django_capture_on_commit_callbacks)
    _, changed = told_to_sockets(
        person,
        lambda: change_role(event_role=role, role_name=COORGANIZER, changed_by=event.created_by),
        django_capture_on_commit_callbacks,
    )
    _, removed = told_to_sockets(
        person, lambda: remove_role(event_role=role, removed_by=event.created_by), django_capture_on_commit_callbacks
    )
    assert (granted, changed, removed) == (told, told, told)


@pytest.mark.django_db
def test_the_service_refuses_tracks_of_another_event():
    event = EventFactory()
    person = UserFactory()
    foreign_track = TrackFactory(event=EventFactory())
    with pytest.raises(ValidationError) as refused:
        grant_role(user=person, event=event, role_name=MODERATOR, granted_by=event.created_by, tracks=[foreign_track])
    assert refused.value.message_dict == {"tracks": ["Every track must belong to this event."]}
    assert EventRole.objects.filter(event=event, user=person).count() == 0


@pytest.mark.django_db
def test_the_last_organizer_stays_whoever_else_is_on_the_team_or_organizes_elsewhere():
    event = EventFactory()
    EventFactory()  # another event, with an organizer of its own
    EventRoleFactory(event=event, role=COORGANIZER)
    own = EventRole.objects.get(event=event, role__name=ORGANIZER)
    attempts = [
        lambda: remove_role(event_role=own, removed_by=event.created_by),
        lambda: change_role(event_role=own, role_name=COORGANIZER, changed_by=event.created_by),
    ]
    for attempt in attempts:
        with pytest.raises(LastOrganizerError) as refused:
            attempt()
        assert (refused.value.messages, refused.value.code) == (
            ["An event needs at least one organizer: add another organizer first."],
            "last_organizer",
        )
    assert EventRole.objects.get(pk=own.pk).role.name == ORGANIZER


@pytest.mark.django_db
def test_an_organizer_may_step_down_while_another_organizer_remains():
    event = EventFactory()
    second = EventRoleFactory(event=event, role=ORGANIZER)
    own = EventRole.objects.get(event=event, user=event.created_by)
    assert change_role(event_role=own, role_name=COORGANIZER, changed_by=event.created_by).role.name == COORGANIZER
    assert sorted(EventRole.objects.filter(event=event).values_list("user_id", "role__name")) == sorted(
        [(event.created_by_id, COORGANIZER), (second.user_id, ORGANIZER)]
    )


@pytest.mark.django_db
def test_a_change_between_roles_below_organizer_reads_no_organizers(django_assert_num_queries):
    event = EventFactory()
    moderator = EventRoleFactory(event=event, role=MODERATOR)
    # The new role and whether the person holds it already; the organizers' rows are neither read nor locked.
    with django_assert_num_queries(2):
        check_role_change(event_role=moderator, role_name=COORGANIZER)


@pytest.mark.django_db
def test_api_a_role_may_change_its_tracks_alone(api_for):
    event = EventFactory()
    track = TrackFactory(event=event)
    role = EventRoleFactory(event=event, role=MODERATOR)
    response = api_for(event.created_by).patch(roles_url(event, role.pk), {"tracks": [track.pk]}, format="json")
    assert (response.status_code, response.json()["role"], response.json()["tracks"]) == (200, MODERATOR, [track.pk])
    assert list(EventRole.objects.get(pk=role.pk).tracks.values_list("pk", flat=True)) == [track.pk]


@pytest.mark.django_db
def test_an_invite_that_cannot_be_answered_says_why_with_a_code():
    event = EventFactory()
    guest = UserFactory(email="guest@example.com", verified=True)
    role_invite, token = invite(event=event, email=guest.email, role_name=MODERATOR, invited_by=event.created_by)

    def refusal(**key):
        with pytest.raises(InviteError) as refused:
            accept_invite(**key)
        return refused.value.messages, refused.value.code

    assert refusal(user=UserFactory(verified=True), token=token) == (
        ["This invitation was sent to another email address."],
        "wrong_user",
    )
    # It expires at its expiry time, not a moment later.
    with time_machine.travel(role_invite.expires_at, tick=False):
        assert refusal(user=guest, token=token) == (
            ["This invitation has expired; ask the organizer for a new one."],
            "expired",
        )
    accept_invite(user=guest, token=token)
    assert refusal(user=guest, token=token) == (["This invitation was already accepted."], "accepted")
    assert refusal(user=guest, invite_id=role_invite.pk) == (["This invitation was already accepted."], "accepted")


@pytest.mark.django_db
def test_an_invite_is_read_with_its_event_and_role_in_one_query(django_assert_num_queries):
    event = EventFactory(name="Summit")
    guest = UserFactory(email="guest@example.com")
    role_invite, token = invite(event=event, email=guest.email, role_name=MODERATOR, invited_by=event.created_by)
    with django_assert_num_queries(1):
        by_token = find_invite(token)
        assert (by_token.pk, by_token.event.name, by_token.role.name) == (role_invite.pk, "Summit", MODERATOR)
    with django_assert_num_queries(1):
        by_number = find_invite_for(guest, role_invite.pk)
        assert (by_number.pk, by_number.event.name, by_number.role.name) == (role_invite.pk, "Summit", MODERATOR)


@pytest.mark.django_db
@pytest.mark.parametrize("answer", [accept_invite, decline_invite])
def test_an_answered_invite_says_when_and_lists_as_changed_since(answer, api_for):
    """Finding: answering an invite left its updated_at as it was, so ?modified_since= missed the answer."""
    event = EventFactory()
    guest = UserFactory(email="guest@example.com", verified=True)
    sent = timezone.now().replace(microsecond=0)
    with time_machine.travel(sent, tick=False):
        role_invite, token = invite(event=event, email=guest.email, role_name=MODERATOR, invited_by=event.created_by)
    answered = sent + timedelta(hours=1)
    with time_machine.travel(answered, tick=False):
        answer(user=guest, token=token)
    stored = RoleInvite.objects.get(pk=role_invite.pk)
    assert (stored.responded_at, stored.updated_at) == (answered, answered)
    listed = api_for(event.created_by).get(invites_url(event), {"modified_since": iso(answered)})
    assert [(row["id"], row["state"]) for row in listed.json()["results"]] == [(role_invite.pk, stored.state)]


@pytest.mark.django_db
def test_a_changed_role_lists_as_changed_since(api_for):
    """Finding: changing a role left its updated_at as it was, so ?modified_since= missed the change."""
    event = EventFactory()
    granted = timezone.now().replace(microsecond=0)
    with time_machine.travel(granted, tick=False):
        role = EventRoleFactory(event=event, role=MODERATOR)
    changed = granted + timedelta(hours=1)
    with time_machine.travel(changed, tick=False):
        change_role(event_role=role, role_name=COORGANIZER, changed_by=event.created_by)
    assert EventRole.objects.get(pk=role.pk).updated_at == changed
    listed = api_for(event.created_by).get(roles_url(event), {"modified_since": iso(changed)})
    assert [(row["id"], row["role"]) for row in listed.json()["results"]] == [(role.pk, COORGANIZER)]


def locks(queries):
    """The FOR UPDATE clauses of the captured queries, in order ("" for a lock without OF)."""
    return [query["sql"].rsplit(" FOR UPDATE", 1)[1] for query in queries if " FOR UPDATE" in query["sql"]]


@pytest.mark.django_db
@pytest.mark.parametrize("by", ["token", "number"])
def test_showing_an_invite_locks_nothing_and_answering_it_locks_its_row_only(by, client):
    """The row lock that makes two accepts grant one role is taken to answer, by either link, not to show."""
    if not connection.features.has_select_for_update_of:
        pytest.skip("SQLite has no row locks (PostgreSQL pass)")
    event = EventFactory()
    guest = UserFactory(email="guest@example.com", verified=True)
    role_invite, token = invite(event=event, email=guest.email, role_name=MODERATOR, invited_by=event.created_by)
    url = f"/roles/invites/{token}/" if by == "token" else f"/roles/invites/{role_invite.pk}/answer/"
    client.force_login(guest)
    with CaptureQueriesContext(connection) as shown:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as answered:
        assert client.post(url, {"answer": "accept"}).status_code == 302
    assert locks(shown) == []
    assert locks(answered)[0] == ' OF "permissions_roleinvite"'
    assert EventRole.objects.get(event=event, user=guest).role.name == MODERATOR
