"""The tickets step in a real browser: add rows with the buttons, hide, remove, save."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from events.tests.factories import EventFactory

# The live server runs in another thread: it only sees committed data.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/tickets-step.png"


def add_ticket(page, kind, name):
    """Press an add button and type the new (last) row's name; return a locator that stays on that row."""
    page.get_by_role("button", name=f"+ {kind}").click()
    page.locator("#tickets-table tbody.ticket").last.evaluate("(row, name) => { row.dataset.test = name; }", name)
    row = page.locator(f'#tickets-table tbody.ticket[data-test="{name}"]')
    row.get_by_placeholder("Ticket name").fill(name)
    return row


def test_tickets_step_in_the_browser(signed_in, live_server):
    event = EventFactory(starts_at=datetime(2030, 5, 1, 9, tzinfo=UTC), ends_at=datetime(2030, 5, 2, 18, tzinfo=UTC))
    page = signed_in(event.created_by)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_server.url + reverse("events:wizard", args=[event.pk, "tickets"]))
    assert page.locator("#tickets-empty").is_visible()

    community = add_ticket(page, "Free", "Community")
    mistake = add_ticket(page, "Paid", "Mistake")
    mistake.get_by_placeholder("Price").fill("1")
    regular = add_ticket(page, "Paid", "Regular")
    regular.get_by_placeholder("Price").fill("30")
    supporter = add_ticket(page, "Donation", "Supporter")
    supporter.get_by_placeholder("Minimum (optional)").fill("5")
    assert page.locator("#id_tickets-TOTAL_FORMS").input_value() == "4"
    # A free row shows no price input, a donation row its minimum instead.
    assert community.get_by_placeholder("Price").is_hidden()
    assert supporter.get_by_placeholder("Price").is_hidden()

    # Removing a new row takes it out; the rows after it move up one index.
    mistake.get_by_role("button", name="Remove this ticket").click()
    assert page.locator("#id_tickets-TOTAL_FORMS").input_value() == "3"
    assert regular.get_by_placeholder("Ticket name").get_attribute("name") == "tickets-1-name"
    assert supporter.get_by_placeholder("Ticket name").get_attribute("name") == "tickets-2-name"

    # The cog opens a row's details; each "hide" switch belongs to its own row.
    for row in (community, supporter):
        row.get_by_role("button", name="Ticket settings").click()
        row.get_by_label("Hide this ticket from the public page").check()
    community.get_by_label("Description").fill("For students and volunteers.")
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url(f"**{reverse('events:wizard', args=[event.pk, 'review'])}")

    assert list(event.tickets.values_list("name", "type", "price", "min_price", "hidden", "position")) == [
        ("Community", "free", Decimal("0.00"), None, True, 0),
        ("Regular", "paid", Decimal("30.00"), None, False, 1),
        ("Supporter", "donation", Decimal("0.00"), Decimal("5.00"), True, 2),
    ]
    assert event.tickets.get(name="Community").description == "For students and volunteers."
