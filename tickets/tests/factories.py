from decimal import Decimal

import factory

from events.tests.factories import EventFactory
from tickets.models import Ticket


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
