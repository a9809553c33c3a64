"""The event changes socket asks the permission engine on connect and before every message."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from core.tests.factories import UserFactory
from events.models import Event, Track
from events.tests.factories import EventFactory, TrackFactory
from notifications.tests.sockets import TIMEOUT, communicator_for
from permissions.models import EventRole
from permissions.services import remove_role
from permissions.tests.factories import EventRoleFactory

pytestmark = pytest.mark.django_db(transaction=True)

create = database_sync_to_async


def path(event):
    return f"/ws/events/{event.pk}/"


async def connected(user, event):
    communicator = await communicator_for(user, path=path(event))
    accepted, _ = await communicator.connect(timeout=TIMEOUT)
    return communicator, accepted


async def test_team_member_gets_versions_then_each_change():
    event = await create(EventFactory)()
    communicator, accepted = await connected(event.created_by, event)
    assert accepted is True
    first = await communicator.receive_json_from(timeout=TIMEOUT)
    assert first["type"] == "versions"
    assert first["changed"] == []
    assert first["versions"]["tracks"] == 0

    await create(TrackFactory)(event=event)
    pushed = await communicator.receive_json_from(timeout=TIMEOUT)
    assert (pushed["changed"], pushed["versions"]["tracks"]) == (["tracks"], 1)

    await create(lambda: Track.objects.filter(event=event).update(name="Renamed"))()
    pushed = await communicator.receive_json_from(timeout=TIMEOUT)
    assert (pushed["changed"], pushed["versions"]["tracks"]) == (["tracks"], 2)
    await communicator.disconnect()


async def test_other_events_changes_are_not_sent():
    event, other = await create(EventFactory)(), await create(EventFactory)()
    communicator, _ = await connected(event.created_by, event)
    await communicator.receive_json_from(timeout=TIMEOUT)
    await create(TrackFactory)(event=other)
    assert await communicator.receive_nothing(timeout=0.3) is True
    await communicator.disconnect()


async def test_stranger_is_refused_for_a_draft_and_anonymous_allowed_for_published():
    draft = await create(EventFactory)()
    stranger = await create(UserFactory)()
    _, accepted = await connected(stranger, draft)
    assert accepted is False
    _, accepted = await connected(None, draft)
    assert accepted is False

    published = await create(EventFactory)(state=Event.PUBLISHED)
    communicator, accepted = await connected(None, published)
    assert accepted is True
    await communicator.disconnect()


async def test_socket_closes_when_the_role_is_removed():
    event = await create(EventFactory)()
    member = await create(UserFactory)()
    role = await create(EventRoleFactory)(user=member, event=event, role="moderator")
    communicator, accepted = await connected(member, event)
    assert accepted is True
    await communicator.receive_json_from(timeout=TIMEOUT)

    organizer = await create(lambda: EventRole.objects.get(pk=role.pk).event.created_by)()
    await create(remove_role)(event_role=await create(EventRole.objects.get)(pk=role.pk), removed_by=organizer)
    # As a member it first hears that the roles moved, then that its own access changed: it asks again and closes.
    heard = await communicator.receive_json_from(timeout=TIMEOUT)
    assert heard["changed"] == ["roles"]
    closed = await communicator.receive_output(timeout=TIMEOUT)
    assert closed == {"type": "websocket.close", "code": 4403}


async def test_client_messages_get_an_error():
    event = await create(EventFactory)()
    communicator, _ = await connected(event.created_by, event)
    await communicator.receive_json_from(timeout=TIMEOUT)
    await communicator.send_json_to({"type": "hello"})
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {
        "type": "error",
        "error": "This socket only sends; refetch with the REST API.",
    }
    await communicator.disconnect()


async def test_the_public_hears_public_lists_only_and_no_hidden_ticket():
    from tickets.tests.factories import TicketFactory

    event = await create(EventFactory)(state=Event.PUBLISHED)
    hidden = await create(TicketFactory)(event=event, hidden=True)
    public, _ = await connected(None, event)
    member, _ = await connected(event.created_by, event)
    snapshot = await public.receive_json_from(timeout=TIMEOUT)
    assert sorted(snapshot["versions"]) == [
        "event",
        "microlocations",
        "sessions",
        "speakers",
        "sponsors",
        "tickets",
        "tracks",
    ]
    await member.receive_json_from(timeout=TIMEOUT)

    await create(lambda: hidden.__class__.objects.filter(pk=hidden.pk).update(name="Backstage pass"))()
    heard = await member.receive_json_from(timeout=TIMEOUT)
    assert heard["changed"] == ["tickets"]
    assert await public.receive_nothing(timeout=0.3) is True

    shown = await create(TicketFactory)(event=event, name="Community")
    assert (await public.receive_json_from(timeout=TIMEOUT))["changed"] == ["tickets"]
    assert (await member.receive_json_from(timeout=TIMEOUT))["changed"] == ["tickets"]
    # Hiding a public ticket is heard by the public: it disappears for them.
    await create(lambda: shown.__class__.objects.filter(pk=shown.pk).update(hidden=True))()
    assert (await public.receive_json_from(timeout=TIMEOUT))["changed"] == ["tickets"]
    for communicator in (public, member):
        await communicator.disconnect()


async def test_a_role_granted_or_removed_moves_the_socket_between_audiences():
    from permissions.services import grant_role

    event = await create(EventFactory)(state=Event.PUBLISHED)
    person = await create(UserFactory)()
    communicator, accepted = await connected(person, event)
    assert accepted is True
    assert "roles" not in (await communicator.receive_json_from(timeout=TIMEOUT))["versions"]

    role = await create(grant_role)(user=person, event=event, role_name="moderator", granted_by=None)
    moved = await communicator.receive_json_from(timeout=TIMEOUT)
    assert (moved["versions"]["roles"], "roles" in moved["changed"]) == (2, True)

    await create(remove_role)(event_role=role, removed_by=event.created_by)
    back = await communicator.receive_json_from(timeout=TIMEOUT)
    while "roles" in back["versions"]:  # the members' message may come first
        back = await communicator.receive_json_from(timeout=TIMEOUT)
    assert "invites" not in back["versions"]
    await create(TrackFactory)(event=event)
    assert (await communicator.receive_json_from(timeout=TIMEOUT))["changed"] == ["tracks"]
    await communicator.disconnect()


async def test_a_broadcast_costs_no_query_per_socket(monkeypatch):
    """Every socket of the event hears one write; the database sees the write and nothing for the sockets."""
    from django.db.backends.utils import CursorWrapper

    event = await create(EventFactory)(state=Event.PUBLISHED)
    sockets = []
    for user in [None, event.created_by, None, None, event.created_by, None, None, None]:
        communicator, _ = await connected(user, event)
        await communicator.receive_json_from(timeout=TIMEOUT)
        sockets.append(communicator)

    executed = []
    original = CursorWrapper._execute_with_wrappers

    def counting(self, sql, *args, **kwargs):
        executed.append(sql)
        return original(self, sql, *args, **kwargs)

    monkeypatch.setattr(CursorWrapper, "_execute_with_wrappers", counting)
    writes = await create(lambda: (TrackFactory(event=event), len(executed))[1])()
    for communicator in sockets:
        assert (await communicator.receive_json_from(timeout=TIMEOUT))["changed"] == ["tracks"]
    await asyncio.sleep(0.2)
    assert len(executed) == writes
    for communicator in sockets:
        await communicator.disconnect()


async def test_the_public_hears_that_availability_changed_not_how_many_orders_there_were():
    """Finding (an attacker's probe): the public socket's "availability" value was the count of the event's
    order writes (74 while the team's orders counter read 74), moved by orders of hidden tickets too: anyone
    could count an event's orders. The endpoint showed the public neither counter."""
    from tickets.orders.services import Line, place_order
    from tickets.tests.factories import TicketFactory

    event = await create(EventFactory)(state=Event.PUBLISHED)
    ticket = await create(TicketFactory)(event=event, name="Community")
    public, _ = await connected(None, event)
    snapshot = await public.receive_json_from(timeout=TIMEOUT)

    await create(place_order)(
        event=event, name="Ann", email="ann@example.com", lines=[Line(ticket_id=ticket.pk, attendee_name="Ann")]
    )

    heard = await public.receive_json_from(timeout=TIMEOUT)
    assert heard == {"type": "versions", "versions": snapshot["versions"], "changed": ["availability"]}
    await public.disconnect()
