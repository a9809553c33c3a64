"""The public checkout in a real browser, on a phone's width: a free ticket, a donation, the order pages and QR codes;
and the event page following the stock live over the event socket of a real daphne."""

import re
from decimal import Decimal

import pytest
import requests
from django.urls import reverse
from rest_framework.authtoken.models import Token

from core.tests.live import daphne_env
from core.tests.processes import Daphne
from events.models import Event
from events.tests.factories import EventFactory
from tickets.models import Order

from .factories import TicketFactory

# The live server runs in another thread: it only sees committed data.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def fits_the_width(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


CHECKOUT_PAGE = re.compile(r".*/checkout/\?.*")
ORDER_PAGE = re.compile(r".*/orders/[A-Z0-9]{6}/[^/]+/$")


def buy(page, event_url, ticket, *, attendee, amount=None):
    """Choose one of the ticket on the event page, fill the checkout, place the order; stay on the checkout page."""
    page.goto(event_url)
    if amount is not None:
        page.locator(f'input[data-amount="{ticket.pk}"]').fill(amount)
    page.locator(f'select[data-quantity="{ticket.pk}"]').select_option("1")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(CHECKOUT_PAGE)  # loaded: measuring the width mid-navigation finds no document
    assert fits_the_width(page)
    page.get_by_label("Your name").fill("Ann Buyer")
    page.get_by_label("Your email").fill("ann@example.com")
    page.get_by_label("Attendee's name").fill(attendee)
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(ORDER_PAGE)


def test_buying_a_free_and_a_donation_ticket_on_a_phone(page, live_server):
    event = EventFactory(state=Event.PUBLISHED, name="Phone Conf", payment_instructions="Pay to IBAN DE00 1234.")
    community = TicketFactory(event=event, name="Community", position=0)
    support = TicketFactory(event=event, name="Support", donation=True, position=1)
    page.set_viewport_size(PHONE)
    event_url = live_server.url + event.get_absolute_url()

    page.goto(event_url)
    assert fits_the_width(page)
    # Every ticket's choice sits at the right edge, the donation's wider one (amount and quantity) too.
    right_edges = page.locator("select[data-quantity]").evaluate_all(
        "selects => selects.map(select => Math.round(select.getBoundingClientRect().right))"
    )
    assert len(right_edges) == 2 and right_edges[0] == right_edges[1]
    page.locator(f'input[data-amount="{support.pk}"]').fill("12.5")
    page.locator(f'select[data-quantity="{support.pk}"]').select_option("2")
    assert page.locator("#ticket-total").inner_text() == "2 tickets, total 25.00 EUR"  # the script adds it up
    page.screenshot(path="/tmp/checkout-event-phone.png", full_page=True)

    buy(page, event_url, community, attendee="Ann")
    free = Order.objects.get()
    assert page.locator(".order-status").inner_text() == "Paid"
    assert page.locator("svg.qr-code").count() == 1
    assert fits_the_width(page)
    page.screenshot(path="/tmp/checkout-free-order-phone.png", full_page=True)

    buy(page, event_url, support, attendee="Bob", amount="12.50")
    donation = Order.objects.exclude(pk=free.pk).get()
    assert (donation.status, donation.total) == ("pending", Decimal("12.50"))
    assert page.locator(".order-status").inner_text() == "Pending payment"
    assert "Pay to IBAN DE00 1234." in page.locator("#payment").inner_text()
    assert donation.code in page.locator("#payment").inner_text()
    assert page.locator("svg.qr-code").count() == 1
    assert fits_the_width(page)
    page.screenshot(path="/tmp/checkout-donation-order-phone.png", full_page=True)


def test_a_donation_below_its_minimum_is_not_added_up_and_is_marked_on_its_field(page, live_server):
    # Finding (browser walk): -3 was added to the running total ("4 tickets, total 95.00"), and the refusal after
    # Continue sat at the row's left edge, away from the field, which was not marked. Now it is beneath the field.
    event = EventFactory(state=Event.PUBLISHED, payment_instructions="Pay to IBAN DE00 1234.")
    paid = TicketFactory(event=event, name="Supporter", type="paid", price=Decimal("49.00"), position=0)
    support = TicketFactory(event=event, name="Support", donation=True, min_price=Decimal("5.00"), position=1)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + event.get_absolute_url())
    page.locator(f'select[data-quantity="{paid.pk}"]').select_option("2")
    amount = page.locator(f'input[data-amount="{support.pk}"]')
    amount.fill("-3")
    page.locator(f'select[data-quantity="{support.pk}"]').select_option("1")
    assert page.locator("#ticket-total").inner_text() == "3 tickets; enter an amount of at least the minimum"
    amount.fill("7.5")
    assert page.locator("#ticket-total").inner_text() == "3 tickets, total 105.50 EUR"

    amount.fill("-3")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    amount = page.locator(f'input[data-amount="{support.pk}"]')
    assert amount.get_attribute("aria-invalid") == "true"
    invalid_red = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--bs-form-invalid-border-color').trim()"
    )
    as_rgb = "color => { const probe = document.createElement('i'); probe.style.color = color;"
    as_rgb += " document.body.append(probe); return getComputedStyle(probe).color; }"
    assert amount.evaluate("input => getComputedStyle(input).borderTopColor") == page.evaluate(as_rgb, invalid_red)
    error = page.locator(".amount-box .field-error")
    assert error.inner_text() == "The amount cannot be negative."
    field_box, error_box = amount.bounding_box(), error.bounding_box()
    assert error_box["x"] == field_box["x"] and error_box["y"] >= field_box["y"] + field_box["height"]  # beneath it
    assert fits_the_width(page)
    assert Order.objects.count() == 0


def test_a_double_click_on_place_order_places_one_order(page, live_server):
    event = EventFactory(state=Event.PUBLISHED)
    ticket = TicketFactory(event=event, name="Community")
    page.goto(f"{live_server.url}{reverse('public:checkout', args=[event.slug])}?qty-{ticket.pk}=1")
    page.get_by_label("Your name").fill("Ann Buyer")
    page.get_by_label("Your email").fill("ann@example.com")
    page.get_by_label("Attendee's name").fill("Ann")
    page.get_by_role("button", name="Place order").dblclick()
    page.wait_for_url(ORDER_PAGE)
    page.go_back()
    page.get_by_role("button", name="Place order").click()  # back, and submit again
    page.wait_for_url(ORDER_PAGE)
    assert Order.objects.count() == 1


@pytest.fixture
def daphne(settings, tmp_path):
    with Daphne(env=daphne_env(settings, tmp_path, redis_url=""), log_path=tmp_path / "daphne.log") as server:
        yield server


def test_the_event_page_follows_the_stock_live(page, daphne):
    event = EventFactory(state=Event.PUBLISHED)
    ticket = TicketFactory(event=event, name="Front row", quantity=6, max_order=4)
    token = Token.objects.create(user=event.created_by).key
    page.goto(daphne.url(event.get_absolute_url()))
    row = page.locator(f'.ticket-offer[data-ticket="{ticket.pk}"]')
    assert row.locator(".few-left").inner_text() == ""
    page.wait_for_timeout(500)  # the socket connects

    def order(count):
        body = {
            "name": "Box office",
            "email": "box@example.com",
            "positions": [{"ticket": ticket.pk, "attendee_name": "Guest"}] * count,
        }
        headers = {"Authorization": f"Token {token}"}
        url = daphne.url(f"/api/v1/events/{event.pk}/orders/")
        assert requests.post(url, json=body, headers=headers, timeout=30).status_code == 201

    order(3)  # through the same server, whose channel layer tells the page's socket
    row.locator(".few-left").filter(has_text="Only 3 left").wait_for(timeout=10_000)
    assert row.locator("select.quantity option").all_inner_texts() == ["0", "1", "2", "3"]
    order(3)
    row.locator(".offer-state").filter(has_text="Sold out").wait_for(timeout=10_000)
    assert row.locator(".offer-choice").is_hidden()
