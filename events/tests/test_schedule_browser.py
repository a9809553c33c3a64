"""The schedule page in a real browser: grid and list, filter, now marker, stars, and the personal feed they make."""

from datetime import UTC

import icalendar
import pytest
from django.urls import reverse

from events.tests.factories import SessionFactory
from events.tests.schedule_world import berlin, dst_conference

# The live server runs in another thread: it only sees committed data.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/schedule-{width}.png"


def rendered_titles(page):
    return page.locator("#schedule .schedule-session .schedule-title a").all_inner_texts()


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_schedule_page_filters_stars_and_subscribes(page, live_server, settings):
    settings.SITE_URL = live_server.url  # the feed's address must reach this server
    world = dst_conference()
    schedule_url = live_server.url + reverse("public:schedule", args=[world.event.slug])
    # The browser's clock stands in the middle of the workshop (09:40 on the first day).
    page.clock.install(time=berlin(25, 9, 40).astimezone(UTC))

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(schedule_url)
    page.wait_for_selector("#schedule.is-rendered")
    assert rendered_titles(page) == [session.title for session in world.public]
    assert page.locator(".schedule-day").count() == 3
    assert page.locator(".schedule-room").first.is_visible()  # the grid, rooms as columns
    assert no_sideways_scroll(page)
    marker = page.locator('.schedule-day[data-day="2030-10-25"] .schedule-now')
    assert marker.is_visible()
    row_before = marker.evaluate("node => node.style.gridRow")
    page.screenshot(path=SCREENSHOT.format(width=1280), full_page=True)

    # The marker moves without a reload.
    page.clock.fast_forward("20:00")
    page.wait_for_function(
        "row => document.querySelector('.schedule-day[data-day=\"2030-10-25\"] .schedule-now').style.gridRow !== row",
        arg=row_before,
    )
    # 10:00: the opening is over, the workshop runs.
    running = page.locator(".schedule-session.is-now").evaluate_all(
        "nodes => nodes.map(node => node.dataset.sessionId)"
    )
    assert running == [str(world.workshop.pk)]

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector("#schedule.is-rendered")
    assert page.locator(".schedule-room").first.is_hidden()  # the list: no room columns on a phone
    assert no_sideways_scroll(page)
    page.screenshot(path=SCREENSHOT.format(width=390), full_page=True)

    # Filter by track: the form submits on change, the page and its feeds follow.
    page.locator("#filter-track").select_option(label="Workshops")
    page.wait_for_url(f"**track={world.workshops.pk}**")
    page.wait_for_selector("#schedule.is-rendered")
    assert rendered_titles(page) == ["Workshop", "Late party"]
    assert no_sideways_scroll(page)
    ical_link = page.get_by_role("link", name="iCal", exact=True).get_attribute("href")
    assert ical_link.endswith(f"schedule.ics?track={world.workshops.pk}")

    page.get_by_role("button", name="Star Workshop").click()
    page.get_by_role("button", name="Star Late party").click()
    assert page.locator("#personal-feed-count").inner_text() == "2 starred sessions, kept in this browser."
    page.get_by_role("button", name="Get a calendar feed of my starred sessions").click()
    feed_input = page.locator("#personal-feed-url")
    feed_input.wait_for(state="visible")
    feed_url = feed_input.input_value()
    assert feed_url.startswith(f"{live_server.url}/e/{world.event.slug}/schedule/my/")

    feed = page.request.get(feed_url)
    assert feed.status == 200
    summaries = sorted(str(vevent["summary"]) for vevent in icalendar.Calendar.from_ical(feed.body()).walk("VEVENT"))
    assert summaries == ["Late party", "Workshop"]

    # Stars survive a reload (they live in the browser), and so does the feed.
    page.reload()
    page.wait_for_selector("#schedule.is-rendered")
    assert page.get_by_role("button", name="Unstar Workshop").get_attribute("aria-pressed") == "true"
    assert page.locator("#personal-feed-url").input_value() == feed_url

    # Revoking it makes its address a 404.
    page.get_by_role("button", name="Revoke this feed").click()
    page.locator("#personal-feed-result").wait_for(state="hidden")
    assert page.request.get(feed_url).status == 404


def test_a_visitor_abroad_switches_to_their_own_time(browser, live_server):
    world = dst_conference()
    context = browser.new_context(timezone_id="America/New_York")
    try:
        page = context.new_page()
        page.goto(live_server.url + reverse("public:schedule", args=[world.event.slug]))
        page.wait_for_selector("#schedule.is-rendered")
        opening = page.locator(f'.schedule-session[data-session-id="{world.opening.pk}"] .schedule-time')
        assert opening.inner_text() == "09:00\u201310:00"  # the event's time first
        caption = page.locator("#schedule-zone-label").locator("xpath=..")
        assert caption.inner_text() == f"Times in {world.event.timezone} (the event's time zone)."
        page.locator("#schedule-zone").select_option("America/New_York")
        assert opening.inner_text() == "03:00\u201304:00"
        assert caption.inner_text() == "Times in America/New_York (your time zone)."
        page.reload()  # the choice is remembered
        page.wait_for_selector("#schedule.is-rendered")
        assert opening.inner_text() == "03:00\u201304:00"
        assert caption.inner_text() == "Times in America/New_York (your time zone)."
        page.locator("#schedule-zone").select_option(str(world.event.timezone))
        assert caption.inner_text() == f"Times in {world.event.timezone} (the event's time zone)."
    finally:
        context.close()


def test_a_short_session_shows_all_it_says_in_the_grid(page, live_server):
    """The grid's rows grow to fit a card: a 15-minute slot still shows its room, track and speakers."""
    world = dst_conference()
    lightning = SessionFactory(
        event=world.event,
        title="Lightning talk",
        starts_at=berlin(25, 10),
        ends_at=berlin(25, 10, 15),
        track=world.main,
        microlocation=world.hall_a,
    )
    lightning.speakers.add(world.ada, world.grace)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + reverse("public:schedule", args=[world.event.slug]))
    page.wait_for_selector("#schedule.is-rendered")
    card = page.locator(f'.schedule-session[data-session-id="{lightning.pk}"]')
    assert card.locator(".schedule-where").inner_text() == "Hall A · Main"
    assert card.locator(".schedule-speakers").inner_text() == "Ada Lovelace, Grace Hopper"
    cut_off = page.locator("#schedule .schedule-session").evaluate_all(
        "cards => cards.filter(card => card.scrollHeight > card.clientHeight).map(card => card.dataset.sessionId)"
    )
    assert cut_off == []
    # Sessions that start together still start on one line, whatever the rows grew by.
    tops = [
        page.locator(f'.schedule-session[data-session-id="{pk}"]').bounding_box()["y"]
        for pk in (world.opening.pk, world.workshop.pk)
    ]
    hour_marks = page.locator('.schedule-day[data-day="2030-10-25"] .schedule-hour').evaluate_all(
        "marks => marks.map(mark => mark.getBoundingClientRect().top)"
    )
    assert tops[0] == pytest.approx(hour_marks[0], abs=2)  # the opening at 09:00, the first hour mark
    assert tops[1] > tops[0]  # the workshop at 09:30, below it
