"""The background step in a real browser: choose a file, crop, Done uploads it; Remove deletes it."""

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from events.models import Event
from events.tests.factories import EventFactory
from events.tests.test_background import STORED_NAME, image_bytes

# The live server runs in another thread: it only sees committed data.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/background-modal.png"


def test_background_step_in_the_browser(signed_in, live_server, tmp_path, settings):
    event = EventFactory()
    page = signed_in(event.created_by)
    page.on("dialog", lambda dialog: dialog.accept())
    picture = tmp_path / "holiday.png"
    picture.write_bytes(image_bytes("PNG", (1200, 800)))
    page.goto(live_server.url + reverse("events:wizard", args=[event.pk, "background"]))
    expect(page.get_by_text("No image yet")).to_be_visible()

    page.get_by_role("button", name="Choose image…").click()
    modal = page.get_by_role("dialog", name="Background image")
    expect(modal).to_be_visible()
    modal.get_by_label("Image file").set_input_files(picture)
    done = modal.get_by_role("button", name="Done")
    expect(done).to_be_enabled()
    expect(modal.get_by_label("Zoom")).to_be_visible()
    # Bootstrap fades the modal and its backdrop in; photograph them once they are opaque.
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#background-modal')).opacity === '1'"
        " && getComputedStyle(document.querySelector('.modal-backdrop')).opacity === '0.5'"
    )
    page.screenshot(path=SCREENSHOT)

    # A refusal is shown in the modal and changes nothing.
    settings.BACKGROUND_MAX_BYTES = 1024
    done.click()
    expect(modal.get_by_role("alert")).to_have_text("The image is too large: at most 1 KiB are accepted.")
    expect(page.get_by_text("No image yet")).to_be_visible()
    assert Event.objects.get(pk=event.pk).background.name == ""

    settings.BACKGROUND_MAX_BYTES = 5 * 1024 * 1024
    expect(done).to_be_enabled()
    done.click()

    preview = page.locator("#background-preview")
    expect(preview).to_be_visible()
    expect(modal).to_be_hidden()
    name = Event.objects.get(pk=event.pk).background.name
    assert STORED_NAME.fullmatch(name)
    assert preview.get_attribute("src") == f"/media/{name}"
    with default_storage.open(name) as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("WEBP", (1960, 980))
    expect(page.get_by_role("status")).to_have_text("Background image saved.")

    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("No image yet")).to_be_visible()
    expect(preview).to_be_hidden()
    assert Event.objects.get(pk=event.pk).background.name == ""
    assert not default_storage.exists(name)


def test_an_original_smaller_than_the_minimum_is_refused_before_cropping(signed_in, live_server, tmp_path):
    """Finding: a 300 x 150 PNG was cropped, scaled up to 1960 x 980 and saved despite the hint."""
    event = EventFactory()
    page = signed_in(event.created_by)
    small = tmp_path / "small.png"
    small.write_bytes(image_bytes("PNG", (300, 150)))
    page.goto(live_server.url + reverse("events:wizard", args=[event.pk, "background"]))
    hint = page.locator("#background-hint")
    expect(hint).to_contain_text("at least 490 \u00d7 245 pixels (a smaller one is refused)")

    page.get_by_role("button", name="Choose image…").click()
    modal = page.get_by_role("dialog", name="Background image")
    modal.get_by_label("Image file").set_input_files(small)

    expect(modal.get_by_role("alert")).to_have_text(
        "This image is 300 \u00d7 150 pixels: too small for a background. Choose one of at least 490 \u00d7 245 pixels."
    )
    expect(modal.get_by_role("button", name="Done")).to_be_disabled()
    expect(modal.locator(".cr-boundary")).to_have_count(0)
    assert Event.objects.get(pk=event.pk).background.name == ""


def test_the_crop_box_fits_a_phone_screen(signed_in, live_server, tmp_path):
    event = EventFactory()
    page = signed_in(event.created_by)
    page.set_viewport_size({"width": 390, "height": 844})
    picture = tmp_path / "wide.png"
    picture.write_bytes(image_bytes("PNG", (1200, 600)))
    page.goto(live_server.url + reverse("events:wizard", args=[event.pk, "background"]))
    page.get_by_role("button", name="Choose image…").click()
    modal = page.get_by_role("dialog", name="Background image")
    modal.get_by_label("Image file").set_input_files(picture)
    expect(modal.get_by_role("button", name="Done")).to_be_enabled()

    body = modal.locator(".modal-body").bounding_box()
    boundary = modal.locator(".cr-boundary").bounding_box()
    assert body["x"] <= boundary["x"] and boundary["x"] + boundary["width"] <= body["x"] + body["width"]
    assert boundary["width"] <= 390
    page.screenshot(path="/tmp/background-modal-390.png")
