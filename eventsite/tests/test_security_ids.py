"""An id read from a form or a query string that names no row is refused or ignored, never a 500.

Findings (attacker's probe): the team page's buttons took ``invite_id=abc`` and ``role_id=1x`` as they came
(``ValueError`` in the ORM), and the orders list and the schedule took "²" for a number (``str.isdigit()``
says yes, ``int()`` refuses it).
"""

import pytest

from core.forms import MAX_ID, as_id
from events.models import Event
from events.tests.factories import EventFactory, TrackFactory
from permissions.models import EventRole, RoleInvite
from permissions.names import MODERATOR
from permissions.services import invite
from permissions.tests.factories import EventRoleFactory
from tickets.tests.factories import OrderFactory, TicketFactory

pytestmark = pytest.mark.django_db
NOT_IDS = ["abc", "", "1x", "²", "-1", "0", "\u0661", str(MAX_ID + 1), "9" * 40, " 7"]


@pytest.mark.parametrize("value", NOT_IDS)
def test_as_id_names_no_row_for_what_is_not_an_id(value):
    assert as_id(value) is None


def test_as_id_reads_ids():
    assert [as_id("7"), as_id("007"), as_id(str(MAX_ID)), as_id(42), as_id(True), as_id(7.0)] == [
        7,
        7,
        MAX_ID,
        42,
        None,
        None,
    ]


@pytest.mark.parametrize("value", ["abc", "", "1x", "²", str(MAX_ID + 1)])
def test_the_team_pages_buttons_are_a_404_for_what_is_not_an_id(client_for, value):
    event = EventFactory()
    member = EventRoleFactory(event=event, role=MODERATOR)
    invite(event=event, email="guest@example.com", role_name=MODERATOR, invited_by=event.created_by)
    client = client_for(event.created_by)
    url = f"/roles/events/{event.pk}/team/"
    assert client.post(url, {"action": "cancel-invite", "invite_id": value}).status_code == 404
    assert client.post(url, {"action": "remove", "role_id": value}).status_code == 404
    assert client.post(url, {"action": "change", "role_id": value, "role": "coorganizer"}).status_code == 404
    assert RoleInvite.objects.get(event=event).state == RoleInvite.PENDING
    assert EventRole.objects.get(pk=member.pk).role.name == MODERATOR


@pytest.mark.parametrize("value", ["²", "abc", str(MAX_ID + 1)])
def test_the_orders_list_ignores_a_ticket_filter_that_is_not_an_id(client_for, value):
    event = EventFactory()
    order = OrderFactory(event=event, tickets=[TicketFactory(event=event)])
    response = client_for(event.created_by).get(f"/events/{event.pk}/orders/", {"ticket": value})
    assert response.status_code == 200
    assert [row.pk for row in response.context["orders"]] == [order.pk]


@pytest.mark.parametrize("value", ["²", "abc", str(MAX_ID + 1)])
def test_the_schedule_refuses_a_track_filter_that_is_not_an_id(client, value):
    event = EventFactory(state=Event.PUBLISHED)
    TrackFactory(event=event)
    response = client.get(f"/e/{event.slug}/schedule/", {"track": value})
    assert response.status_code == 400
    assert response.context["error"] == f"track must be the id of a track (a positive whole number), not {value!r}."
