"""The cases the door tests share: how to make, create and change an object of each service."""

from datetime import timedelta

from events.tests.factories import (
    EventFactory,
    MicrolocationFactory,
    SessionFactory,
    SpeakerFactory,
    SponsorFactory,
    TrackFactory,
)
from eventsite.tests.factories import UserFactory
from permissions.names import OPERATIONS, ROLES, default_grants
from permissions.tests.factories import EventRoleFactory


def session_payload(event):
    return {
        "title": "New session",
        "starts_at": (event.starts_at + timedelta(hours=2)).isoformat(),
        "ends_at": (event.starts_at + timedelta(hours=3)).isoformat(),
    }


# service -> (URL segment, factory, payload for create/update)
SERVICE_CASES = {
    "track": ("tracks", TrackFactory, lambda event: {"name": "New track"}),
    "session": ("sessions", SessionFactory, session_payload),
    "speaker": ("speakers", SpeakerFactory, lambda event: {"name": "New speaker"}),
    "sponsor": ("sponsors", SponsorFactory, lambda event: {"name": "New sponsor"}),
    "microlocation": ("microlocations", MicrolocationFactory, lambda event: {"name": "New room"}),
}


def member_of(event, role):
    """Return a new user holding the role in the event."""
    member = UserFactory()
    EventRoleFactory(user=member, event=event, role=role)
    return member


def door_case(service, role):
    """Return (event, object of the service, member with the role) for one cell of the matrix."""
    factory = SERVICE_CASES[service][1]
    event = EventFactory()
    return event, factory(event=event), member_of(event, role)


# Every (role, service, operation) cell of the declared matrix with its expected answer.
MATRIX_CELLS = [
    (role, service, operation, expected)
    for role in ROLES
    for service in SERVICE_CASES
    for operation, expected in zip(OPERATIONS, default_grants(role, service), strict=True)
]
