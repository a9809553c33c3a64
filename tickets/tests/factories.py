from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from events.tests.factories import EventFactory
from tickets.models import Order, OrderPosition, Ticket


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    event = factory.SubFactory(EventFactory)
    type = Ticket.FREE
    name = factory.Sequence(lambda n: f"Ticket {n}")
    price = Decimal("0.00")
    quantity = 100
    position = factory.Sequence(lambda n: n)

    class Params:
        paid = factory.Trait(type=Ticket.PAID, price=Decimal("25.00"))
        donation = factory.Trait(type=Ticket.DONATION, min_price=Decimal("5.00"))


class OrderFactory(factory.django.DjangoModelFactory):
    """A paid order (status and deadline settable); add positions with OrderPositionFactory or ``tickets``."""

    class Meta:
        model = Order
        skip_postgeneration_save = True

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"Buyer {n}")
    email = factory.Sequence(lambda n: f"buyer{n}@example.com")
    status = Order.PAID
    total = Decimal("0.00")

    class Params:
        pending = factory.Trait(
            status=Order.PENDING, expires_at=factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
        )

    @factory.post_generation
    def tickets(order, create, extracted, **kwargs):
        """``tickets=[ticket, ...]``: one position per ticket, at the ticket's price."""
        for ticket in extracted or ():
            OrderPositionFactory(order=order, ticket=ticket, price=ticket.price)


class OrderPositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderPosition

    order = factory.SubFactory(OrderFactory)
    ticket = factory.SubFactory(TicketFactory, event=factory.SelfAttribute("..order.event"))
    price = Decimal("0.00")
    attendee_name = factory.Sequence(lambda n: f"Attendee {n}")
