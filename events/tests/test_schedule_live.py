"""Live: on a real daphne, the schedule page hears a moved session on the event socket and re-renders it."""

import pytest
import requests
from django.urls import reverse
from rest_framework.authtoken.models import Token

from core.tests.live import daphne_env
from core.tests.processes import Daphne
from events.tests.schedule_world import berlin, dst_conference

# The daphne reads the test database: it only sees committed data.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def daphne(settings, tmp_path):
    with Daphne(env=daphne_env(settings, tmp_path), log_path=tmp_path / "daphne.log") as server:
        yield server


def test_a_moved_session_shows_without_a_reload(page, daphne):
    world = dst_conference()
    token = Token.objects.create(user=world.event.created_by).key
    data_requests = []
    page.on(
        "request",
        lambda request: "data.json" in request.url and data_requests.append(request.headers.get("if-none-match")),
    )
    page.goto(daphne.url(reverse("public:schedule", args=[world.event.slug])))
    page.wait_for_selector("#schedule.is-rendered")
    page.wait_for_function("document.getElementById('schedule').dataset.live === 'open'")

    response = requests.patch(
        daphne.url(f"/api/v1/events/{world.event.pk}/sessions/{world.workshop.pk}/"),
        json={
            "title": "Workshop (moved)",
            "starts_at": berlin(25, 14).isoformat(),
            "ends_at": berlin(25, 15).isoformat(),
        },
        headers={"Authorization": f"Token {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text

    moved = page.locator(f'.schedule-session[data-session-id="{world.workshop.pk}"]')
    moved.get_by_text("Workshop (moved)").wait_for()
    assert moved.locator(".schedule-time").inner_text() == "14:00\u201315:00"
    assert page.locator("#schedule-live").inner_text().startswith("Updated at")
    # The first fetch had no tag; the refetch sent the one it held.
    assert data_requests[0] is None
    assert data_requests[1].startswith('"')
