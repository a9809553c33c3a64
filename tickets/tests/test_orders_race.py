"""Fifty buyers race for ten tickets on two real server processes: exactly ten get one, forty hear "sold out".

Two daphne processes on the PostgreSQL test database (production settings),
the buyers split between them and released together by a barrier. Through
the API twenty times over (the same two servers, a fresh ticket each round),
then once through the HTML checkout (each buyer with the form's own page).
"""

import re
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings
from rest_framework.authtoken.models import Token

from core.tests.factories import UserFactory
from core.tests.live import POSTGRES_AND_REDIS, daphne_env
from core.tests.processes import Daphne
from events.models import Event
from events.tests.factories import EventFactory
from tickets.models import Order, OrderPosition

from .factories import TicketFactory

pytestmark = [pytest.mark.faults, *POSTGRES_AND_REDIS, pytest.mark.django_db(transaction=True)]

BUYERS, QUANTITY, ROUNDS = 50, 10, 20


@pytest.fixture(scope="module")
def two_daphnes(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two production-like daphne processes on the test database, shared by the tests of this module."""
    tmp_path = tmp_path_factory.mktemp("race")
    # The fifty buyers of the HTML checkout share one address: past the checkout's rate per address.
    env = daphne_env(settings, tmp_path, THROTTLE_CHECKOUT="1000/hour")
    servers = [Daphne(env=env, log_path=tmp_path / f"daphne-{name}.log") for name in ("a", "b")]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


def race(servers, attempts):
    """Run the attempts (each given its server) at the same moment; return their results in order."""
    barrier = threading.Barrier(len(attempts))

    def run(index, attempt):
        server = servers[index % len(servers)]
        prepared = attempt.prepare(server)
        barrier.wait(timeout=60)
        return attempt.send(server, prepared)

    with ThreadPoolExecutor(len(attempts)) as pool:
        futures = [pool.submit(run, index, attempt) for index, attempt in enumerate(attempts)]
        return [future.result(timeout=120) for future in futures]


class ApiBuyer:
    def __init__(self, event, ticket, token, number):
        self.path = f"/api/v1/events/{event.pk}/orders/"
        self.headers = {"Authorization": f"Token {token}"}
        self.body = {
            "name": f"Buyer {number}",
            "email": f"buyer{number}@example.com",
            "positions": [{"ticket": ticket.pk, "attendee_name": f"Buyer {number}"}],
        }

    def prepare(self, server):
        return None

    def send(self, server, _prepared):
        response = requests.post(server.url(self.path), json=self.body, headers=self.headers, timeout=60)
        return response.status_code, response.json()


def test_fifty_api_buyers_for_ten_tickets_twenty_times_never_oversell(two_daphnes):
    organizer = UserFactory()
    event = EventFactory(created_by=organizer, state=Event.PUBLISHED)
    token = Token.objects.create(user=organizer).key
    for round_number in range(ROUNDS):
        ticket = TicketFactory(event=event, quantity=QUANTITY, max_order=1, name=f"Round {round_number}")
        results = race(two_daphnes, [ApiBuyer(event, ticket, token, n) for n in range(BUYERS)])

        statuses = sorted(status for status, _body in results)
        refusals = [body for status, body in results if status == 409]
        assert statuses == [201] * QUANTITY + [409] * (BUYERS - QUANTITY), f"round {round_number}"
        assert {(body["code"], body["ticket"]) for body in refusals} == {("sold_out", ticket.pk)}
        assert OrderPosition.objects.filter(ticket=ticket).count() == QUANTITY
        assert Order.objects.filter(positions__ticket=ticket).distinct().count() == QUANTITY
    for server in two_daphnes:
        assert "Traceback" not in server.log_text()


class HtmlBuyer:
    """A browser without JavaScript: it loads the checkout page (cookie, token), then submits the form."""

    def __init__(self, event, ticket, number):
        self.path = f"/e/{event.slug}/checkout/"
        self.ticket, self.number = ticket, number

    def prepare(self, server):
        params = {f"qty-{self.ticket.pk}": "1", "visit": secrets.token_urlsafe(16)}
        page = requests.get(server.url(self.path), params=params, timeout=60)
        page.raise_for_status()
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        # The CSRF cookie is marked Secure (production settings): this plain-HTTP client sends the cookies by hand.
        return fields, "; ".join(f"{cookie.name}={cookie.value}" for cookie in page.cookies)

    def send(self, server, prepared):
        fields, cookie = prepared
        data = {
            **fields,
            "name": f"Buyer {self.number}",
            "email": f"buyer{self.number}@example.com",
            "attendee-0-name": f"Buyer {self.number}",
        }
        response = requests.post(
            server.url(self.path), data=data, headers={"Cookie": cookie}, allow_redirects=False, timeout=60
        )
        return response.status_code, response.headers.get("Location", ""), response.text


def test_fifty_buyers_at_the_html_checkout_for_ten_tickets_never_oversell(two_daphnes):
    event = EventFactory(state=Event.PUBLISHED)
    ticket = TicketFactory(event=event, quantity=QUANTITY, max_order=1, name="Front row")
    results = race(two_daphnes, [HtmlBuyer(event, ticket, n) for n in range(BUYERS)])

    assert sorted(status for status, _location, _text in results) == [302] * QUANTITY + [409] * (BUYERS - QUANTITY)
    placed = {location for status, location, _text in results if status == 302}
    assert len(placed) == QUANTITY
    assert all("Front row is sold out." in text for status, _location, text in results if status == 409)
    assert OrderPosition.objects.filter(ticket=ticket).count() == QUANTITY
    assert {
        f"/e/{event.slug}/orders/{code}/{secret}/" for code, secret in Order.objects.values_list("code", "secret")
    } == placed


def test_concurrent_repeats_of_one_idempotency_key_place_one_order(two_daphnes):
    organizer = UserFactory()
    event = EventFactory(created_by=organizer, state=Event.PUBLISHED)
    ticket = TicketFactory(event=event, quantity=QUANTITY, max_order=1)
    token = Token.objects.create(user=organizer).key

    class Repeat(ApiBuyer):
        def send(self, server, _prepared):
            headers = {**self.headers, "Idempotency-Key": "one-order-please"}
            response = requests.post(server.url(self.path), json=self.body, headers=headers, timeout=60)
            return response.status_code, response.json()

    results = race(two_daphnes, [Repeat(event, ticket, token, 0) for _ in range(10)])

    assert {status for status, _body in results} == {201}
    assert len({body["id"] for _status, body in results}) == 1
    assert OrderPosition.objects.filter(ticket=ticket).count() == 1
