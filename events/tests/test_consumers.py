"""The event changes socket asks the permission engine on connect and before every message."""

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
    assert first["versions"]["tracks"] == 1

    await create(TrackFactory)(event=event)
    pushed = await communicator.receive_json_from(timeout=TIMEOUT)
    assert (pushed["changed"], pushed["versions"]["tracks"]) == (["tracks"], 2)

    await create(lambda: Track.objects.filter(event=event).update(name="Renamed"))()
    pushed = await communicator.receive_json_from(timeout=TIMEOUT)
    assert (pushed["changed"], pushed["versions"]["tracks"]) == (["tracks"], 3)
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
