"""The API tokens page in Chromium, wide and on a phone: make a token, use its key against the live server,
see its last use, revoke it after the confirmation; nothing scrolls sideways."""

import pytest
from django.urls import reverse

from events.tests.factories import EventFactory
from permissions.models import ApiToken
from permissions.tokens import hash_key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"wide": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def scrolls_sideways(page):
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


@pytest.mark.parametrize("size", sorted(SIZES))
def test_make_use_and_revoke_a_token(signed_in, live_server, size):
    event = EventFactory(name="The Very Long Name of an International Open Source Developers Conference")
    page = signed_in(event.created_by)
    page.set_viewport_size(SIZES[size])
    page.goto(live_server.url + reverse("account-tokens"))
    assert page.locator("#no-tokens").inner_text() == "You have no tokens yet."

    page.get_by_label("Name").fill("Schedule export")
    page.get_by_label("Tracks").select_option("write")
    page.get_by_label("Sessions").select_option("read")
    page.get_by_label("Event", exact=True).select_option(label=event.name)
    page.get_by_role("button", name="Create token").click()

    key = page.locator("#new-token-key").input_value()
    token = ApiToken.objects.get()
    assert (token.key_hash, token.scopes, token.event_id) == (hash_key(key), ["track:write", "session:read"], event.pk)
    assert scrolls_sideways(page) is False
    page.screenshot(path=f"/tmp/api-tokens-{size}-created.png", full_page=True)

    # The key works against the live server, within its scope only.
    base = f"{live_server.url}/api/v1/events/{event.pk}"
    headers = {"Authorization": f"Bearer {key}"}
    assert page.request.get(f"{base}/tracks/", headers=headers).status == 200
    assert page.request.get(f"{base}/speakers/", headers=headers).status == 403

    page.goto(live_server.url + reverse("account-tokens"))
    row = page.locator(f"tr[data-token='{token.prefix}']")
    assert key not in page.content()
    assert "Tracks: read and write; Sessions: read" in row.inner_text()
    assert "0\xa0minutes ago" in row.inner_text()
    assert scrolls_sideways(page) is False
    page.screenshot(path=f"/tmp/api-tokens-{size}-list.png", full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    page.wait_for_selector("#no-tokens")
    assert ApiToken.objects.count() == 0
    assert page.request.get(f"{base}/tracks/", headers=headers).status == 401
