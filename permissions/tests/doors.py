"""The cases the door tests share: how to make, create and change an object of each service."""

from datetime import timedelta

from core.tests.factories import UserFactory
from events.tests.factories import (
    EventFactory,
    MicrolocationFactory,
    SessionFactory,
    SpeakerFactory,
    SponsorFactory,
    TrackFactory,
)
from permissions.names import OPERATIONS
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


def local(moment, event):
    """A time as the organizer pages' date-time inputs send it: local to the event, to the minute."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(event.timezone)).strftime("%Y-%m-%dT%H:%M")


def form_data(service, event):
    """What the organizer page's form of the service posts to create (or rename) an object."""
    if service == "session":
        return {
            "title": "New session",
            "abstract": "",
            "state": "confirmed",
            "starts_at": local(event.starts_at + timedelta(hours=2), event),
            "ends_at": local(event.starts_at + timedelta(hours=3), event),
        }
    return {
        "track": {"name": "New track", "description": "", "color": "#123456", "location": ""},
        "speaker": {"name": "New speaker", "email": "", "bio": "", "organisation": ""},
        "sponsor": {"name": "New sponsor", "url": "", "level": ""},
        "microlocation": {"name": "New room", "floor": "", "latitude": "", "longitude": ""},
    }[service]


def label_of(obj):
    """The field the door tests rename: a session's title, every other object's name."""
    return "title" if hasattr(obj, "title") else "name"


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


# The matrix of the README ("Permissions"), copied here by hand: the product's own declaration
# (permissions.names.DEFAULT_MATRIX) and the seeded rows are checked against it, cell by cell.
README_MATRIX = """
role            | event | ticket | track | session | speaker | sponsor | microlocation | team | order | webhook
organizer       | RUD   | CRUD   | CRUD  | CRUD    | CRUD    | CRUD    | CRUD          | CRUD | CRUD  | CRUD
coorganizer     | RU    | RU     | RU    | RU      | RU      | RU      | RU            | -    | RU    | -
track_organizer | R     | -      | RU    | -       | -       | -       | -             | -    | -     | -
moderator       | R     | -      | R     | -       | -       | -       | -             | -    | -     | -
"""


def readme_cells():
    """Return [(role, service, operation, expected)] for every cell of README_MATRIX."""
    header, *rows = [[cell.strip() for cell in line.split("|")] for line in README_MATRIX.strip().splitlines()]
    return [
        (role, service, operation, letter in letters)
        for role, *cells in rows
        for service, letters in zip(header[1:], cells, strict=True)
        for operation, letter in zip(OPERATIONS, "CRUD", strict=True)
    ]


README_CELLS = readme_cells()
README_GRANTS = {(role, service, operation): expected for role, service, operation, expected in README_CELLS}

# The cells of the services whose objects the door tests make and change.
MATRIX_CELLS = [cell for cell in README_CELLS if cell[1] in SERVICE_CASES]


def denial_status(role, service, operation, *, on_object=None):
    """A refused list or create is a 403; a refused object is a 404 when the role may not even read the service.

    ``on_object``: whether the request names one object (by default, updates and deletes do).
    """
    on_object = operation in ("update", "delete") if on_object is None else on_object
    if on_object and not README_GRANTS[(role, service, "read")]:
        return 404
    return 403
