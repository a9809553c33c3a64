"""Invites as people meet them: one pending invite per address, a modest default role, the inbox in step."""

import pytest
from django.utils import timezone

from core.tests.factories import UserFactory
from events.tests.factories import EventFactory
from notifications.models import Notification
from permissions.forms import InviteForm
from permissions.models import EventRole, RoleInvite
from permissions.names import COORGANIZER, MODERATOR, ORGANIZER
from permissions.services import (
    AlreadyHoldsRoleError,
    AlreadyInTeamError,
    InviteError,
    accept_invite,
    cancel_invite,
    decline_invite,
    invite,
    notify_pending_invites,
)
from permissions.tests.factories import EventRoleFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "first_name": "New",
    "last_name": "Person",
    "password1": "a-long-unique-passphrase",
    "password2": "a-long-unique-passphrase",
}


def test_inviting_an_address_again_replaces_its_pending_invite(client, django_capture_on_commit_callbacks):
    event = EventFactory()
    client.force_login(event.created_by)
    url = f"/roles/events/{event.pk}/team/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "invite", "email": "twice@example.com", "role": MODERATOR})
        client.post(url, {"action": "invite", "email": "Twice@Example.com", "role": COORGANIZER})

    pending = RoleInvite.objects.filter(event=event, state=RoleInvite.PENDING)
    assert [(i.email, i.role.name) for i in pending] == [("Twice@Example.com", COORGANIZER)]
    assert RoleInvite.objects.filter(event=event, state=RoleInvite.CANCELLED).count() == 1
    assert [i.email for i in client.get(url).context["invites"]] == ["Twice@Example.com"]


def test_the_invite_form_starts_at_the_least_powerful_role(client):
    event = EventFactory()
    client.force_login(event.created_by)
    page = client.get(f"/roles/events/{event.pk}/team/").content.decode()
    assert InviteForm()["role"].value() == MODERATOR
    assert '<option value="moderator" selected>Moderator</option>' in page


def test_accepting_an_invite_marks_its_notification_read(client, django_capture_on_commit_callbacks):
    event = EventFactory()
    invitee = UserFactory(verified=True)
    other = EventFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _, token = invite(event=event, email=invitee.email, role_name=MODERATOR, invited_by=event.created_by)
        invite(event=other, email=invitee.email, role_name=MODERATOR, invited_by=other.created_by)
    client.force_login(invitee)
    client.post(f"/roles/invites/{token}/", {"answer": "accept"})

    unread = Notification.objects.filter(user=invitee, has_read=False).values_list("title", flat=True)
    assert list(unread) == [f"Invitation: Moderator of {other.name}"]


def test_a_new_account_finds_the_invites_waiting_for_its_address(client, django_capture_on_commit_callbacks):
    first, second = EventFactory(name="First"), EventFactory(name="Second")
    with django_capture_on_commit_callbacks(execute=True):
        invite(event=first, email="new@example.com", role_name=MODERATOR, invited_by=first.created_by)
        invite(event=second, email="new@example.com", role_name=COORGANIZER, invited_by=second.created_by)
        invite(event=second, email="someone.else@example.com", role_name=MODERATOR, invited_by=second.created_by)
        client.post("/accounts/signup/", {**SIGNUP, "email": "New@example.com"})

    inbox = client.get("/notifications/").content.decode()
    assert "No notifications." not in inbox
    titles = set(Notification.objects.filter(user__email="New@example.com").values_list("title", "url"))
    pending = {i.event.name: i.pk for i in RoleInvite.objects.filter(email="new@example.com").select_related("event")}
    assert titles == {
        ("Invitation: Moderator of First", f"/roles/invites/{pending['First']}/answer/"),
        ("Invitation: Co-organizer of Second", f"/roles/invites/{pending['Second']}/answer/"),
    }


def test_an_invite_found_by_its_number_is_answered_by_its_addressee_only(client):
    event = EventFactory(name="Summit")
    role_invite, _ = invite(event=event, email="guest@example.com", role_name=MODERATOR, invited_by=event.created_by)
    url = f"/roles/invites/{role_invite.pk}/answer/"

    client.force_login(UserFactory(email="intruder@example.com", verified=True))
    assert client.get(url).status_code == 404
    assert client.post(url, {"answer": "accept"}).status_code == 404

    guest = UserFactory(email="guest@example.com", verified=True)
    client.force_login(guest)
    page = client.get(url)
    assert (page.status_code, page.context["invite"]) == (200, role_invite)
    response = client.post(url, {"answer": "accept"})
    assert (response.status_code, response["Location"]) == (302, f"/events/{event.pk}/")
    assert EventRole.objects.get(event=event, user=guest).role.name == MODERATOR
    assert client.post(url, {"answer": "accept"}).status_code == 400


def test_inviting_someone_to_a_role_they_hold_is_refused_on_the_role_field():
    event = EventFactory()
    with pytest.raises(AlreadyHoldsRoleError) as refused:
        invite(event=event, email=event.created_by.email.upper(), role_name=ORGANIZER, invited_by=event.created_by)
    assert refused.value.message_dict == {"role": ["This person already holds that role in the event."]}
    assert [error.code for error in refused.value.error_dict["role"]] == ["already_holds_role"]
    assert RoleInvite.objects.count() == 0


def test_someone_organizing_another_event_can_be_invited_to_organize_this_one():
    first, second = EventFactory(), EventFactory()
    role_invite, _ = invite(
        event=second, email=first.created_by.email, role_name=ORGANIZER, invited_by=second.created_by
    )
    assert list(RoleInvite.objects.filter(event=second).values_list("pk", "email", "role__name")) == [
        (role_invite.pk, first.created_by.email, ORGANIZER)
    ]


def test_each_invite_found_by_its_number_is_that_invite(client):
    first, second = EventFactory(name="First"), EventFactory(name="Second")
    guest = UserFactory(email="guest@example.com", verified=True)
    earlier, _ = invite(event=first, email=guest.email, role_name=MODERATOR, invited_by=first.created_by)
    later, _ = invite(event=second, email=guest.email, role_name=COORGANIZER, invited_by=second.created_by)
    client.force_login(guest)

    shown = [client.get(f"/roles/invites/{i.pk}/answer/").context["invite"] for i in (earlier, later)]
    assert [(i.pk, i.event.name) for i in shown] == [(earlier.pk, "First"), (later.pk, "Second")]
    response = client.post(f"/roles/invites/{earlier.pk}/answer/", {"answer": "accept"})
    assert (response.status_code, response["Location"]) == (302, f"/events/{first.pk}/")
    assert list(EventRole.objects.filter(user=guest).values_list("event_id", "role__name")) == [(first.pk, MODERATOR)]
    states = dict(RoleInvite.objects.filter(email=guest.email).values_list("pk", "state"))
    assert states == {earlier.pk: RoleInvite.ACCEPTED, later.pk: RoleInvite.PENDING}


def test_a_new_account_is_told_of_its_live_invites_only_and_by_whom(client, django_capture_on_commit_callbacks):
    ada = UserFactory(first_name="Ada", last_name="Lovelace")
    nameless = UserFactory(first_name="", last_name="", email="plain@example.com")
    named, plain, unsigned = EventFactory(name="R&D"), EventFactory(name="Plain"), EventFactory(name="Unsigned")
    cancelled, expired = EventFactory(name="Cancelled"), EventFactory(name="Expired")
    sent = {
        name: invite(event=event, email="new@example.com", role_name=MODERATOR, invited_by=inviter)[0]
        for name, event, inviter in [
            ("named", named, ada),
            ("plain", plain, nameless),
            ("unsigned", unsigned, ada),
            ("cancelled", cancelled, ada),
            ("expired", expired, ada),
        ]
    }
    RoleInvite.objects.filter(pk=sent["unsigned"].pk).update(invited_by=None)  # the inviter's account is gone
    cancel_invite(role_invite=sent["cancelled"], cancelled_by=ada)
    RoleInvite.objects.filter(pk=sent["expired"].pk).update(expires_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", {**SIGNUP, "email": "new@example.com"})

    def told(name, inviter, event_name):
        url = f"/roles/invites/{sent[name].pk}/answer/"
        link = f'<a href="{url}" target="_blank" rel="noopener noreferrer nofollow">Accept or decline</a>'
        return (
            f"Invitation: Moderator of {sent[name].event.name}",
            f"<p>{inviter} invites you to be <strong>Moderator</strong> of {event_name}. {link}.</p>",
            url,
        )

    assert set(Notification.objects.filter(user__email="new@example.com").values_list("title", "message", "url")) == {
        told("named", "Ada Lovelace", "R&amp;D"),
        told("plain", "plain@example.com", "Plain"),
        told("unsigned", "The organizers", "Unsigned"),
    }


def test_a_new_account_reads_its_invites_with_their_event_role_and_inviter(django_assert_num_queries):
    for name in ("First", "Second"):
        event = EventFactory(name=name)
        invite(event=event, email="new@example.com", role_name=MODERATOR, invited_by=event.created_by)
    user = UserFactory(email="new@example.com")
    # The invites with their event, role and inviter (1), then per invite notify()'s savepoint, row, counter,
    # unread count and release (2 x 5): no query per invite for its event, role or inviter.
    with django_assert_num_queries(11):
        notify_pending_invites(user=user)
    assert Notification.objects.filter(user=user).count() == 2


@pytest.mark.parametrize(("answer", "verb"), [("accept", "accepted"), ("decline", "declined")])
def test_whoever_invited_is_told_the_answer(client, django_capture_on_commit_callbacks, answer, verb):
    # Finding (browser walk): an organizer heard nothing when the person they invited joined or declined.
    event = EventFactory(name="Summit")
    invitee = UserFactory(first_name="Nina", last_name="Novak", verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        _, token = invite(event=event, email=invitee.email, role_name=MODERATOR, invited_by=event.created_by)
    client.force_login(invitee)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/roles/invites/{token}/", {"answer": answer}).status_code == 302

    told = Notification.objects.filter(user=event.created_by)
    assert list(told.values_list("action", "title", "message", "url", "has_read")) == [
        (
            Notification.GENERAL,
            f"Nina Novak {verb} your invitation to Summit",
            f"<p>Nina Novak ({invitee.email}) {verb} your invitation to be <strong>Moderator</strong> of Summit.</p>",
            f"/roles/events/{event.pk}/team/",
            False,
        )
    ]


def test_an_inviter_who_has_left_the_team_is_not_told():
    event = EventFactory()
    inviter = UserFactory()
    inviter_role = EventRoleFactory(user=inviter, event=event, role=COORGANIZER)
    invitee = UserFactory(verified=True)
    _, token = invite(event=event, email=invitee.email, role_name=MODERATOR, invited_by=inviter)
    inviter_role.delete()
    accept_invite(user=invitee, token=token)
    assert Notification.objects.filter(user=inviter).count() == 0
    assert EventRole.objects.get(event=event, user=invitee).role.name == MODERATOR


def test_an_address_longer_than_the_column_is_a_form_error(client):
    # Attacker's probe: the team page took a 312-character address (the form allowed 320) that the column (254)
    # does not hold: stored cut short on SQLite, a 500 on PostgreSQL. The API refused it already.
    event = EventFactory()
    client.force_login(event.created_by)
    address = "a" * 250 + "@example.com"
    response = client.post(f"/roles/events/{event.pk}/team/", {"action": "invite", "email": address, "role": MODERATOR})
    assert response.status_code == 200
    assert response.context["invite_form"].errors == {
        "email": [f"Ensure this value has at most 254 characters (it has {len(address)})."]
    }
    assert RoleInvite.objects.count() == 0


def test_inviting_someone_of_the_team_to_another_role_is_refused_on_the_email_field():
    """Finding (a browser walk): inviting carol, a moderator, to co-organize was sent and, accepted, gave her a
    second role beside the first; the team page listed her twice and her moderator's track limit meant nothing."""
    event = EventFactory()
    carol = UserFactory(email="carol@example.com")
    EventRoleFactory(event=event, user=carol, role=MODERATOR)

    with pytest.raises(AlreadyInTeamError) as refused:
        invite(event=event, email="Carol@Example.com", role_name=COORGANIZER, invited_by=event.created_by)

    assert refused.value.message_dict == {
        "email": ["This person is already Moderator of this event: change their role on the team page instead."]
    }
    assert RoleInvite.objects.count() == 0


def test_the_team_page_and_the_api_refuse_it_too(client, api_for):
    event = EventFactory()
    EventRoleFactory(event=event, user=UserFactory(email="carol@example.com"), role=MODERATOR)
    client.force_login(event.created_by)

    page = client.post(
        f"/roles/events/{event.pk}/team/", {"action": "invite", "email": "carol@example.com", "role": COORGANIZER}
    )
    answer = api_for(event.created_by).post(
        f"/api/v1/events/{event.pk}/invites/", {"email": "carol@example.com", "role": COORGANIZER}, format="json"
    )

    message = "This person is already Moderator of this event: change their role on the team page instead."
    assert page.context["invite_form"].errors == {"email": [message]}
    assert (answer.status_code, answer.json()) == (400, {"email": [message]})
    assert RoleInvite.objects.count() == 0


def test_someone_who_joined_since_the_invite_keeps_their_role_and_may_decline_it():
    event = EventFactory(name="Summit")
    guest = UserFactory(email="guest@example.com", verified=True)
    role_invite, token = invite(event=event, email=guest.email, role_name=COORGANIZER, invited_by=event.created_by)
    EventRoleFactory(event=event, user=guest, role=MODERATOR)  # made moderator meanwhile, by the admin

    with pytest.raises(InviteError) as refused:
        accept_invite(user=guest, token=token)

    assert (refused.value.message, refused.value.code) == (
        "You are already Moderator of Summit: ask its organizers to change your role instead.",
        "already_in_team",
    )
    assert list(EventRole.objects.filter(event=event, user=guest).values_list("role__name", flat=True)) == [MODERATOR]
    assert RoleInvite.objects.get(pk=role_invite.pk).state == RoleInvite.PENDING
    decline_invite(user=guest, token=token)
    assert RoleInvite.objects.get(pk=role_invite.pk).state == RoleInvite.DECLINED


@pytest.mark.parametrize(("address", "proven"), [("Zoe@Example.org", True), ("someone.else@example.org", False)])
def test_signing_up_from_an_invites_link_with_its_address_proves_the_address(
    client, address, proven, mailoutbox, django_capture_on_commit_callbacks
):
    """Finding (a browser walk): Zoe followed the invite's link from her email, signed up, and was told to
    confirm zoe@example.org before accepting, by a second link to the same inbox."""
    event = EventFactory(name="Summit")
    _invite, token = invite(event=event, email="zoe@example.org", role_name=MODERATOR, invited_by=event.created_by)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        signed_up = client.post(f"/accounts/signup/?invite={token}", {**SIGNUP, "email": address, "invite": token})
    accepted = client.post(f"/roles/invites/{token}/", {"answer": "accept"})

    assert signed_up["Location"] == f"/roles/invites/{token}/"
    confirm_links = [message.to for message in mailoutbox if message.subject == "Confirm your email address"]
    assert confirm_links == ([] if proven else [[address]])
    assert accepted.status_code == (302 if proven else 400)
    roles = EventRole.objects.filter(event=event, user__email__iexact=address).values_list("role__name", flat=True)
    assert list(roles) == ([MODERATOR] if proven else [])


def test_an_answered_or_expired_invite_says_so_and_shows_the_way_on(client):
    """Finding (a browser walk): the inbox's "Accept or decline" of an accepted invite led to a bare warning."""
    event = EventFactory(name="Summit")
    accepted, token = invite(event=event, email="guest@example.com", role_name=MODERATOR, invited_by=event.created_by)
    guest = UserFactory(email="guest@example.com", verified=True)
    accept_invite(user=guest, token=token)
    client.force_login(guest)

    for url in (f"/roles/invites/{accepted.pk}/answer/", f"/roles/invites/{token}/"):
        page = client.get(url)
        assert (page.status_code, page.context["error"], page.context["onward"]) == (
            400,
            "This invitation was already accepted.",
            (f"/events/{event.pk}/", "Open Summit"),
        )
        assert f'<a class="btn btn-outline-primary" href="/events/{event.pk}/">Open Summit</a>' in page.content.decode()

    other = EventFactory(name="Expo")
    expired, _ = invite(event=other, email=guest.email, role_name=MODERATOR, invited_by=other.created_by)
    RoleInvite.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    page = client.post(f"/roles/invites/{expired.pk}/answer/", {"answer": "accept"})
    assert (page.status_code, page.context["error"], page.context["onward"]) == (
        400,
        "This invitation has expired; ask the organizer for a new one.",
        ("/notifications/", "Back to your notifications"),
    )
