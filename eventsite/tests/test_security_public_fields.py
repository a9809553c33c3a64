"""What the public sees: every field of every API answer an anonymous visitor can reach, listed here by hand.

A field added to a serializer that anyone can read fails this test until it
is added below on purpose (or kept private). Finding: speakers' email
addresses were public.
"""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from events.models import Event
from events.tests.factories import (
    EventFactory,
    MicrolocationFactory,
    SessionFactory,
    SpeakerFactory,
    SponsorFactory,
    TrackFactory,
)
from tickets.tests.factories import TicketFactory

pytestmark = [pytest.mark.django_db, pytest.mark.security]

PUBLIC_FIELDS = {
    "events/{event}/": {
        "id", "name", "slug", "description", "location", "starts_at", "ends_at", "timezone", "currency", "state",
        "background_url", "version", "created_at", "updated_at", "links",
    },
    "tracks/": {"id", "name", "description", "color", "location", "version"},
    "sessions/": {
        "id", "title", "abstract", "track", "microlocation", "speakers", "starts_at", "ends_at", "state", "version",
    },
    "speakers/": {"id", "name", "bio", "organisation", "version"},
    "sponsors/": {"id", "name", "url", "level", "logo", "version"},
    "microlocations/": {"id", "name", "floor", "latitude", "longitude", "version"},
    "tickets/": {
        "id", "type", "name", "description", "price", "min_price", "price_label", "quantity", "sales_starts_at",
        "sales_ends_at", "min_order", "max_order", "hidden", "position", "version", "created_at", "updated_at",
    },
}  # fmt: skip


@pytest.fixture
def published():
    event = EventFactory(state=Event.PUBLISHED)
    track, room = TrackFactory(event=event), MicrolocationFactory(event=event)
    speaker = SpeakerFactory(event=event, email="speaker@example.com")
    session = SessionFactory(
        event=event, track=track, microlocation=room, starts_at=event.starts_at + timedelta(hours=1)
    )
    session.speakers.add(speaker)
    SponsorFactory(event=event)
    TicketFactory(event=event)
    return event


def fields_of(answer):
    body = answer.json()
    rows = body.get("results", [body])
    assert rows, "the walk needs a row of each list"
    return set().union(*(row.keys() for row in rows))


def test_anonymous_visitors_see_exactly_the_public_fields(published):
    anonymous = APIClient()
    seen = {}
    for path in PUBLIC_FIELDS:
        url = f"/api/v1/events/{published.pk}/" + ("" if path.startswith("events/") else path)
        listed = anonymous.get(url)
        assert listed.status_code == 200, url
        seen[path] = fields_of(listed)
        if "results" in listed.json():
            detail = anonymous.get(f"{url}{listed.json()['results'][0]['id']}/")
            assert fields_of(detail) == seen[path], url
    assert seen == PUBLIC_FIELDS


def test_members_who_may_edit_speakers_see_their_email(published):
    organizer = APIClient()
    organizer.force_authenticate(published.created_by)
    anonymous = APIClient()
    url = f"/api/v1/events/{published.pk}/speakers/"
    [member_view] = organizer.get(url).json()["results"]
    [public_view] = anonymous.get(url).json()["results"]
    assert member_view["email"] == "speaker@example.com"
    assert "email" not in public_view
    assert organizer.get(url)["ETag"] != anonymous.get(url)["ETag"]
