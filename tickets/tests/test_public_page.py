from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from events.models import Event
from events.tests.factories import EventFactory

from .factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_public_page_lists_visible_tickets_on_sale(client):
    event = EventFactory(state=Event.PUBLISHED)
    now = timezone.now()
    TicketFactory(event=event, name="Community", position=0)
    TicketFactory(event=event, name="Regular", type="paid", price=Decimal("30"), position=1)
    TicketFactory(event=event, name="Backstage", hidden=True, position=2)
    TicketFactory(event=event, name="Sold earlier", sales_starts_at=now - timedelta(days=9), sales_ends_at=now)
    TicketFactory(event=event, name="Next month", sales_starts_at=now + timedelta(days=20))

    response = client.get(event.get_absolute_url())

    assert response.status_code == 200
    assert [ticket.name for ticket in response.context["tickets"]] == ["Community", "Regular"]
    html = response.content.decode()
    assert "30.00" in html
    assert "Backstage" not in html


def test_public_page_without_tickets_on_sale_has_no_tickets_section(client):
    event = EventFactory(state=Event.PUBLISHED)
    TicketFactory(event=event, name="Backstage", hidden=True)
    response = client.get(event.get_absolute_url())
    assert 'id="tickets"' not in response.content.decode()
