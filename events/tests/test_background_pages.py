"""The upload area on the wizard's background step and on the edit page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from events.tests.factories import EventFactory
from events.tests.test_background import image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizer_and_event(client_for):
    event = EventFactory()
    return client_for(event.created_by), event


@pytest.mark.parametrize("page", ["wizard/background/", "edit/"])
def test_background_area_without_an_image(organizer_and_event, page):
    client, event = organizer_and_event
    html = client.get(f"/events/{event.pk}/{page}").content.decode()
    assert html.count(f'data-url="/api/v1/events/{event.pk}/background/"') == 1
    assert 'accept="image/jpeg,image/png,image/webp"' in html
    assert "No image yet" in html
    assert "data-background-remove hidden" in html
    assert html.count('src="/static/js/background.js"') == 1


@pytest.mark.parametrize("page", ["wizard/background/", "edit/"])
def test_background_area_shows_the_stored_image(organizer_and_event, page):
    client, event = organizer_and_event
    picture = SimpleUploadedFile("background.png", image_bytes("PNG"), content_type="image/png")
    url = client.post(f"/api/v1/events/{event.pk}/background/", {"background": picture}).json()["background_url"]

    html = client.get(f"/events/{event.pk}/{page}").content.decode()

    assert f'src="{url}"' in html
    assert "data-background-remove>" in html
    assert "Change image…" in html


def test_the_minimum_in_the_page_is_the_servers():
    from pathlib import Path

    from events.background import MIN_SIZE

    template = Path(__file__).resolve().parents[2] / "templates/events/includes/background_modal.html"
    text = template.read_text()
    assert f'data-min-width="{MIN_SIZE[0]}" data-min-height="{MIN_SIZE[1]}"' in text
    assert f"at least {MIN_SIZE[0]} \u00d7 {MIN_SIZE[1]} pixels" in text
