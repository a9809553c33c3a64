"""At a phone's width (390 px) the organizer pages and the public page fit the screen: nothing scrolls sideways.

Finding: the team page scrolled sideways (440 px) with a role select shrunk to its arrow; on the tickets
step name and price inputs were about 50 px wide and the remove buttons cut off.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from playwright.sync_api import expect

from core.tests.factories import UserFactory
from events.models import Event
from events.tests.factories import (
    EventFactory,
    MicrolocationFactory,
    SessionFactory,
    SpeakerFactory,
    SponsorFactory,
    TrackFactory,
)
from events.tests.test_background import image_bytes
from permissions.tests.factories import EventRoleFactory
from tickets.tests.factories import TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LONG = "The Very Long Name of an International Open Source Developers Conference"


def scrolls_sideways(page):
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


@pytest.fixture
def event():
    event = EventFactory(name=LONG, location="Berlin, Friedrichshain-Kreuzberg", description="Talks. " * 40)
    TicketFactory(event=event, name="Community ticket with a long name", position=0)
    TicketFactory(event=event, name="Supporter", type="paid", price=Decimal("49.00"), position=1)
    TicketFactory(event=event, name="Donation", type="donation", min_price=Decimal("5.00"), position=2)
    return event


def test_the_wizards_tickets_step_fits_a_phone(signed_in, live_server, event):
    page = signed_in(event.created_by)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("events:wizard", args=[event.pk, "tickets"]))
    page.get_by_role("button", name="+ Paid").click()
    page.get_by_role("button", name="Ticket settings").first.click()

    assert scrolls_sideways(page) is False
    names = page.get_by_label("Ticket name").all()
    prices = page.locator("tbody.ticket:not([hidden]) input[name$='-price']:visible").all()
    assert (len(names), len(prices)) == (4, 2)  # the new paid row and the saved one
    for field in names + prices:
        assert field.bounding_box()["width"] >= 200
    for remove in page.get_by_role("button", name="Remove this ticket").all():
        box = remove.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path="/tmp/phone-tickets.png", full_page=True)


def test_the_team_page_fits_a_phone(signed_in, live_server, event):
    main = TrackFactory(event=event, name="Main track")
    TrackFactory(event=event, name="Workshops")
    EventRoleFactory(
        user=UserFactory(email="a.person.with.a.rather.long.address@example.com"), event=event, role="coorganizer"
    )
    EventRoleFactory(user=UserFactory(), event=event, role="track_organizer", tracks=[main])
    page = signed_in(event.created_by)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("permissions:team", args=[event.pk]))

    assert scrolls_sideways(page) is False
    for select in page.locator("select[data-role-select]").all():
        assert select.bounding_box()["width"] >= 150
    # The track limit shows for the track organizer only, labelled.
    expect(page.get_by_role("group", name="Limit to tracks")).to_have_count(1)
    page.screenshot(path="/tmp/phone-team.png", full_page=True)


def test_the_home_page_and_the_dashboard_fit_a_phone(signed_in, live_server, event):
    """Finding (browser walk): on the home page an event's date ran into its role badges; on the dashboard the
    revenue line under the ticket cards covered half the width."""
    page = signed_in(event.created_by)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("home"))
    item = page.locator(".list-group-item", has_text="International Open Source")
    text, badges = item.locator("> span").first.bounding_box(), item.locator("> span").last.bounding_box()
    assert text["x"] + text["width"] + 8 <= badges["x"]  # a gap between the date and the badges
    date = item.locator("small").bounding_box()
    assert date["height"] < 30  # "1 Jan 2027" on one line
    assert scrolls_sideways(page) is False

    page.goto(live_server.url + reverse("events:dashboard", args=[event.pk]))
    revenue, card = page.locator("#tickets-overview tfoot tr"), page.locator("#tickets-overview tbody tr").first
    assert revenue.bounding_box()["width"] == card.bounding_box()["width"]
    value = page.locator("#revenue").bounding_box()
    assert value["x"] + value["width"] == pytest.approx(
        card.bounding_box()["x"] + card.bounding_box()["width"] - 12, abs=2
    )
    assert scrolls_sideways(page) is False
    page.screenshot(path="/tmp/phone-dashboard.png", full_page=True)


def test_the_public_page_fits_a_phone(page, live_server, event):
    event.state = Event.PUBLISHED
    event.save()
    start = event.starts_at
    room, track = MicrolocationFactory(event=event, name="Hall A"), TrackFactory(event=event, name="Main")
    session = SessionFactory(
        event=event,
        title="A keynote with a title long enough to wrap",
        microlocation=room,
        track=track,
        starts_at=start + timedelta(hours=1),
    )
    session.speakers.add(SpeakerFactory(event=event, name="Grace Hopper"))
    sponsor = SponsorFactory(event=event, name="Acme", level="Gold", url="https://acme.example/")
    sponsor.logo.save("acme.webp", ContentFile(image_bytes("WEBP", (800, 400))), save=True)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + event.get_absolute_url())

    expect(page.get_by_role("img", name="Acme")).to_be_visible()
    assert scrolls_sideways(page) is False
    page.screenshot(path="/tmp/phone-public.png", full_page=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_public_page_shows_the_whole_picture_the_organizer_cropped(page, live_server, event, width):
    # Finding: the header showed the 2:1 picture as a CSS background covering a box of another shape, cut to
    # 5.4:1 on a wide screen and to 1.2:1 on a phone (the text's height), so neither showed the crop chosen.
    event.state = Event.PUBLISHED
    event.background.save("summit.webp", ContentFile(image_bytes("WEBP", (980, 490))), save=True)
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(live_server.url + event.get_absolute_url())

    picture = page.locator("header img.event-hero-img")
    expect(picture).to_be_visible()
    box = picture.bounding_box()
    assert round(box["width"] / box["height"], 2) == 2.0
    assert page.evaluate("getComputedStyle(document.querySelector('.event-hero-img')).objectFit") == "cover"
    header, name = page.locator("header.event-hero").bounding_box(), page.get_by_role("heading", level=1)
    assert (box["width"], box["x"]) == (header["width"], header["x"])  # as wide as the header, from its edge
    name_box = name.bounding_box()
    if width < 768:  # beneath the picture on a phone; over its lower part on a wide screen
        assert name_box["y"] >= box["y"] + box["height"]
    else:
        assert box["y"] < name_box["y"] < name_box["y"] + name_box["height"] < box["y"] + box["height"]
    assert scrolls_sideways(page) is False
    page.screenshot(path=f"/tmp/public-picture-{width}.png")


def test_the_browsers_back_after_step_one_saves_the_same_draft(signed_in, live_server):
    user = UserFactory()
    page = signed_in(user)
    page.goto(live_server.url + reverse("events:create"))
    page.get_by_label("Name").fill("Back button test")
    page.get_by_label("Starts at").fill("2031-05-01T09:00")
    page.get_by_label("Ends at").fill("2031-05-02T18:00")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="2. Background image")).to_be_visible()

    page.go_back()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="2. Background image")).to_be_visible()

    assert list(Event.objects.filter(created_by=user).values_list("name", flat=True)) == ["Back button test"]


def test_a_webhooks_deliveries_fit_a_phone(signed_in, live_server, event):
    """Finding (a browser walk): the delivery log scrolled sideways at 390 px, its outcome cut and its time hidden."""
    from events.webhooks.models import WebhookDelivery
    from events.webhooks.services import create_webhook

    webhook, _ = create_webhook(
        event=event, by=event.created_by, url="https://hooks.example.org/", kinds=["session.changed"]
    )
    WebhookDelivery.objects.create(
        webhook=webhook,
        kind="session.changed",
        body='{"kind": "session.changed"}',
        host="hooks.example.org",
        state="failed",
        status_code=503,
        duration_ms=9012,
        error="The receiver answered 503 Service Unavailable after a long wait",
    )
    page = signed_in(event.created_by)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("events:webhooks:detail", args=[event.pk, webhook.pk]))

    assert scrolls_sideways(page) is False
    card = page.locator("#deliveries tr.stack-card").first
    assert card.locator("text=9012 ms").is_visible()
    assert card.locator("text=Attempt").is_visible()
