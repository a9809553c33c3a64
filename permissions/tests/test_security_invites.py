"""Finding: registering the invitee's address first was enough to take their role. A role now waits for proof."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from rest_framework.test import APIClient

from core.accounts import UNVERIFIED
from events.tests.factories import EventFactory
from permissions.models import EventRole

pytestmark = [pytest.mark.django_db, pytest.mark.security]


def test_an_address_registered_by_someone_else_cannot_accept_the_invite(client, django_capture_on_commit_callbacks):
    event = EventFactory()
    # The attacker signs up with the address before its owner does (nothing proves it is theirs).
    with django_capture_on_commit_callbacks(execute=True):
        signed_up = client.post(
            "/accounts/signup/",
            {
                "email": "new.colleague@example.org",
                "first_name": "Not",
                "last_name": "Them",
                "password1": "a-long-unique-passphrase",
                "password2": "a-long-unique-passphrase",
            },
        )
    assert signed_up.status_code == 302
    organizer_api = APIClient()
    organizer_api.force_authenticate(event.created_by)
    with django_capture_on_commit_callbacks(execute=True):
        invited = organizer_api.post(
            f"/api/v1/events/{event.pk}/invites/", {"email": "new.colleague@example.org", "role": "organizer"}
        )
    assert invited.status_code == 201

    attacker_api = APIClient()
    attacker_api.force_authenticate(get_user_model().objects.get(email="new.colleague@example.org"))
    invite_url = attacker_api.get("/api/v1/notifications/").json()["results"][0]["url"]
    accepted = client.post(invite_url, {"answer": "accept"})

    assert (accepted.status_code, accepted.context["error"]) == (400, UNVERIFIED)
    assert EventRole.objects.filter(event=event, user__email="new.colleague@example.org").count() == 0
    # The verification link went to the address's real owner, not to the attacker.
    assert [message.to for message in mail.outbox if message.subject == "Confirm your email address"] == [
        ["new.colleague@example.org"]
    ]
