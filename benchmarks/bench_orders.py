"""Orders: placed per second under 50 concurrent buyers, never oversold; queries per order placed.

Every HTTP figure is wrk with 50 connections (after 1 s of warm-up) against
the daphne under test, as the organizer (token auth), POSTing one-ticket
orders to ``/api/v1/events/<id>/orders/``:

- throughput: a ticket with stock to spare (every answer a 201), beside the
  event-detail GET (``/api/v1/events/<id>/``) under the same 50 connections;
- the same POSTs split over two daphne processes (two wrk, 25 connections
  each), whose transactions contend for the ticket's row lock;
- sold out: a ticket with a third of what one daphne placed in 10 s (above)
  while 50 buyers keep asking for 10 s; the rows are counted afterwards:
  positions beyond the quantity are "oversold" (target 0), and every 201 must
  have its stored position (wrk does not count answers still in flight when
  it stops, so stored positions may exceed the 201s it saw);
- queries: ``place_order()`` in this process for one position and for ten
  (CaptureQueriesContext, the after-commit email and team notification
  included, the email kept in memory); the number must not grow with the positions.
"""

import json
import threading

from django.contrib.auth import get_user_model
from django.test import override_settings

from events.models import Event
from tickets.models import OrderPosition, Ticket
from tickets.orders.services import Line, place_order

from .harness import HIGHER, LOWER, Row, count_queries, wrk

CONNECTIONS = 50
SECONDS = 10


def order_body(ticket):
    return json.dumps(
        {
            "name": "Bench Buyer",
            "email": "buyer@bench.example",
            "positions": [{"ticket": ticket.pk, "attendee_name": "Bench Buyer"}],
        }
    )


def post_orders(daphne, world, ticket, *, seconds, connections):
    """Run wrk POSTing one-ticket orders; return its result."""
    headers = {"Authorization": f"Token {world.organizer_token}", "Content-Type": "application/json"}
    return wrk(
        daphne.url(f"/api/v1/events/{world.event_id}/orders/"),
        headers=headers,
        seconds=seconds,
        connections=connections,
        max_requests=100_000,
        env={"WRK_METHOD": "POST", "WRK_BODY": order_body(ticket)},
    )


def new_ticket(event, name, quantity):
    return Ticket.objects.create(event=event, name=name, quantity=quantity, max_order=1, position=100)


def run(bench):
    daphne, world = bench.daphne, bench.world
    event = Event.objects.get(pk=world.event_id)
    auth = {"Authorization": f"Token {world.organizer_token}"}
    rows = []

    detail = daphne.url(f"/api/v1/events/{world.event_id}/")
    wrk(detail, headers=auth, seconds=1, connections=CONNECTIONS)
    baseline = wrk(detail, headers=auth, seconds=SECONDS, connections=CONNECTIONS)
    floor = f"GET one event (/api/v1/events/<id>/), {CONNECTIONS} connections"

    plenty = new_ticket(event, "Plenty", 1_000_000)
    post_orders(daphne, world, plenty, seconds=1, connections=CONNECTIONS)
    placed = post_orders(daphne, world, plenty, seconds=SECONDS, connections=CONNECTIONS)
    statuses = ", ".join(f"{status}: {count:,}" for status, count in sorted(placed.statuses.items()))
    rows += [
        Row(
            "orders",
            f"orders placed per second, {CONNECTIONS} concurrent buyers, one daphne",
            placed.count(lambda status: status == 201) / placed.seconds,
            "req/s",
            floor,
            baseline.rps,
            HIGHER,
            note=statuses,
        ),
        Row("orders", "POST order, p99 latency", placed.p99_ms, "ms", f"{floor}, p99", baseline.p99_ms, LOWER),
    ]

    second = bench.start_daphne("orders-b")
    try:
        results = {}

        def load(name, server):
            results[name] = post_orders(server, world, plenty, seconds=SECONDS, connections=CONNECTIONS // 2)

        threads = [
            threading.Thread(target=load, args=(name, server)) for name, server in (("a", daphne), ("b", second))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        second.stop()
    both = sum(result.count(lambda status: status == 201) for result in results.values())
    seconds = max(result.seconds for result in results.values())
    rows.append(
        Row(
            "orders",
            f"orders placed per second, {CONNECTIONS} buyers over two daphne processes",
            both / seconds,
            "req/s",
            "the same on one daphne (above)",
            placed.count(lambda status: status == 201) / placed.seconds,
            HIGHER,
        )
    )
    stored = OrderPosition.objects.filter(ticket=plenty).count()
    answered = placed.count(lambda status: status == 201) + both
    rows.append(
        Row("orders", "201 answers without a stored position", max(answered - stored, 0), "errors", "target", 0, LOWER)
    )

    quantity = max(10, placed.count(lambda status: status == 201) // 3)
    scarce = new_ticket(event, "Scarce", quantity)
    raced = post_orders(daphne, world, scarce, seconds=SECONDS, connections=CONNECTIONS)
    stored = OrderPosition.objects.filter(ticket=scarce).count()
    created, refused = raced.count(lambda status: status == 201), raced.count(lambda status: status == 409)
    unexpected = raced.count(lambda status: status not in (201, 409)) + raced.socket_errors
    note = f"{stored:,} stored, {created:,} 201 and {refused:,} 409 seen, {unexpected} other answers"
    rows += [
        Row(
            "orders",
            f"oversold positions of a ticket of {quantity}",
            max(stored - quantity, 0),
            "errors",
            "target",
            0,
            LOWER,
            note=note,
        ),
        Row(
            "orders",
            "201 answers without a stored position (sold-out run)",
            max(created - stored, 0),
            "errors",
            "target",
            0,
            LOWER,
        ),
    ]

    owner = get_user_model().objects.get(email="organizer@bench.example")
    many = new_ticket(event, "Queries", 1_000)
    many.max_order = 10
    many.save()

    def place(count):
        lines = [Line(ticket_id=many.pk, attendee_name="Bench") for _ in range(count)]
        return lambda: place_order(event=event, name="Bench", email="q@bench.example", lines=lines, placed_by=owner)

    with override_settings(MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}):
        place(1)()  # warm: the counter row exists after the first order
        one, _seconds, _order = count_queries(place(1))
        ten, _seconds, _order = count_queries(place(10))
    rows.append(
        Row("orders", "queries to place an order of 10 positions", ten, "queries", "an order of 1 position", one, LOWER)
    )
    return rows
