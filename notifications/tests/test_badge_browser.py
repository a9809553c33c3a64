"""The live badge in a real browser, on a real daphne with production settings (its Content-Security-Policy too)."""

import pytest
import requests
from rest_framework.authtoken.models import Token

from core.tests.factories import UserFactory
from core.tests.live import daphne_env, session_cookie
from core.tests.processes import Daphne
from events.tests.factories import EventFactory
from permissions.tests.factories import EventRoleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def daphne(settings, tmp_path):
    with Daphne(env=daphne_env(settings, tmp_path), log_path=tmp_path / "daphne.log") as server:
        yield server


def open_signed_in(page, daphne, person, path):
    """Open ``path`` on the daphne signed in as ``person``, once its socket has sent its snapshot.

    Returns the list the page's console errors and uncaught exceptions go to.
    """
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    name, value = session_cookie(person).split("=", 1)
    page.context.add_cookies([{"name": name, "value": value, "url": daphne.url("/")}])
    with page.expect_websocket() as opened:
        page.goto(daphne.url(path))
    opened.value.wait_for_event("framereceived")  # the snapshot: the socket is open and in the user's group
    return errors


def test_the_badge_counts_an_invitation_without_a_reload_and_the_policy_blocks_nothing(page, daphne):
    person = UserFactory(verified=True)
    event = EventFactory(name="Badge Conf")
    token = Token.objects.create(user=event.created_by).key
    errors = open_signed_in(page, daphne, person, "/")
    badge = page.locator("#notification-badge")
    assert badge.is_hidden()

    response = requests.post(
        daphne.url(f"/api/v1/events/{event.pk}/invites/"),
        json={"email": person.email, "role": "moderator"},
        headers={"Authorization": f"Token {token}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text

    badge.get_by_text("1").wait_for()
    assert badge.is_visible()
    assert errors == []


def test_a_toast_shows_its_whole_title_and_says_what_happened(page, daphne):
    """Finding: a role change's toast cut its title before the new role and its body only said "Open"."""
    event = EventFactory(name="The Yearly Open Source Summit of Northern Europe")
    person = UserFactory(verified=True)
    role = EventRoleFactory(user=person, event=event, role="moderator")
    token = Token.objects.create(user=event.created_by).key
    page.set_viewport_size({"width": 390, "height": 800})
    open_signed_in(page, daphne, person, "/")

    response = requests.patch(
        daphne.url(f"/api/v1/events/{event.pk}/roles/{role.pk}/"),
        json={"role": "coorganizer"},
        headers={"Authorization": f"Token {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text

    toast = page.locator(".toast").first
    toast.wait_for()
    title = toast.locator(".toast-title")
    assert title.inner_text() == f"Your role in {event.name} changed to Co-organizer"
    # Not cut: the title's text fits its box (wrapped, not truncated with an ellipsis).
    assert title.evaluate("element => element.scrollWidth <= element.clientWidth") is True
    body = toast.locator(".toast-body")
    assert [line for line in body.inner_text().splitlines() if line] == [
        f"You are now Co-organizer of {event.name} (was Moderator).",
        "Open the event",
    ]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth") is True


def test_the_open_inbox_lists_what_arrives_and_what_was_read_elsewhere(page, daphne):
    """Finding (a browser walk): the badge counted a new notification, but the open inbox still listed the old ones."""
    from notifications.models import Notification
    from notifications.services import notify

    person = UserFactory(verified=True)
    notify(person, action=Notification.GENERAL, title="Welcome aboard")
    event = EventFactory(name="Inbox Conf")
    token = Token.objects.create(user=event.created_by).key
    errors = open_signed_in(page, daphne, person, "/notifications/")
    items = page.locator("#inbox .list-group-item > .d-flex > strong")
    assert items.all_inner_texts() == ["Welcome aboard"]

    response = requests.post(
        daphne.url(f"/api/v1/events/{event.pk}/invites/"),
        json={"email": person.email, "role": "moderator"},
        headers={"Authorization": f"Token {token}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    page.locator("#inbox .list-group-item").nth(1).wait_for()
    assert items.all_inner_texts() == ["Invitation: Moderator of Inbox Conf", "Welcome aboard"]
    assert page.locator("#inbox .notification-unread").count() == 2

    # Read elsewhere (another tab, a phone's app): through the API of the same server.
    read = requests.post(
        daphne.url("/api/v1/notifications/read-all/"),
        headers={"Authorization": f"Token {Token.objects.create(user=person).key}"},
        timeout=30,
    )
    assert read.status_code == 200, read.text
    page.locator("#inbox .notification-unread").first.wait_for(state="detached")
    assert items.all_inner_texts() == ["Invitation: Moderator of Inbox Conf", "Welcome aboard"]
    assert page.locator("#notification-badge").is_hidden()
    assert errors == []
