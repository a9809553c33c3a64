"""Every kind of email the product sends carries absolute links on the configured site address."""

import re

import pytest
from django.core import mail

from core.tests.factories import UserFactory
from events.tests.factories import EventFactory
from permissions.services import invite

pytestmark = pytest.mark.django_db

# Absolute URLs, and paths standing alone (after a space, a colon or a quote).
LINK = re.compile(r"https?://[^\s\"'<>]+|(?<![\w/.])/\w[^\s\"'<>]*")


def links(message):
    """Return every link-like piece of an email: absolute URLs and bare paths alike."""
    bodies = [message.body, *(content for content, _type in getattr(message, "alternatives", []))]
    return [link for body in bodies for link in LINK.findall(body)]


def test_every_email_links_absolutely_to_the_site(client, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://events.example.org"
    settings.ALLOWED_HOSTS = ["testserver", "events.example.org"]
    event = EventFactory(name="Summit")
    UserFactory(email="grace@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        # An invitation to an address without an account.
        invite(event=event, email="new@example.com", role_name="moderator", invited_by=event.created_by)
        # Signing up: the verification link.
        client.post(
            "/accounts/signup/",
            {
                "email": "someone@example.com",
                "first_name": "Some",
                "last_name": "One",
                "password1": "a-long-unique-passphrase",
                "password2": "a-long-unique-passphrase",
            },
        )
        client.post("/accounts/logout/")
        # A password reset.
        client.post("/accounts/password_reset/", {"email": "grace@example.com"})

    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == ["Confirm your email address", "Invitation: Moderator of Summit", "Reset your password"]
    for message in mail.outbox:
        found = links(message)
        assert found, message.subject
        assert [link for link in found if not link.startswith("https://events.example.org/")] == [], message.subject
