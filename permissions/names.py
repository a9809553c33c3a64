"""The names of roles, services and operations, declared once.

Every other module refers to these constants; ``check_service`` and
``check_operation`` make a misspelt name fail at once instead of quietly
denying access.
"""

ORGANIZER = "organizer"
COORGANIZER = "coorganizer"
TRACK_ORGANIZER = "track_organizer"
MODERATOR = "moderator"
ROLES = (ORGANIZER, COORGANIZER, TRACK_ORGANIZER, MODERATOR)
ROLE_LABELS = {
    ORGANIZER: "Organizer",
    COORGANIZER: "Co-organizer",
    TRACK_ORGANIZER: "Track organizer",
    MODERATOR: "Moderator",
}
# Roles that may be limited to some tracks of the event.
TRACK_SCOPED_ROLES = frozenset({TRACK_ORGANIZER, MODERATOR})

# "team" is the event's roles and invites: who may see, invite, change and remove team members.
# "order" is the event's orders (the public places them at the checkout; this is who manages them).
# "webhook" is the event's webhooks: who sees, adds, changes and removes where its changes are sent.
SERVICES = ("event", "ticket", "track", "session", "speaker", "sponsor", "microlocation", "team", "order", "webhook")
# Services whose objects sit inside a track: a track-limited role only
# reaches the objects of its tracks.
TRACK_SCOPED_SERVICES = frozenset({"track", "session"})

CREATE, READ, UPDATE, DELETE = "create", "read", "update", "delete"
OPERATIONS = (CREATE, READ, UPDATE, DELETE)

# How the team page words the matrix for people choosing a role.
SERVICE_WORDS = {
    "event": "the event",
    "ticket": "tickets",
    "track": "tracks",
    "session": "sessions",
    "speaker": "speakers",
    "sponsor": "sponsors",
    "microlocation": "rooms",
    "team": "the team",
    "order": "orders",
    "webhook": "webhooks",
}
OPERATION_WORDS = {CREATE: "add", READ: "see", UPDATE: "change", DELETE: "delete"}

# The matrix seeded by migration 0002 (DESIGN.md, "Event roles and the
# permission matrix"); the super admin edits the stored copy in the admin.
DEFAULT_MATRIX = {
    ORGANIZER: {
        "event": "RUD",
        "ticket": "CRUD",
        "track": "CRUD",
        "session": "CRUD",
        "speaker": "CRUD",
        "sponsor": "CRUD",
        "microlocation": "CRUD",
        "team": "CRUD",
        "order": "CRUD",
        "webhook": "CRUD",
    },
    COORGANIZER: {service: "RU" for service in SERVICES if service not in ("team", "webhook")},
    TRACK_ORGANIZER: {"event": "R", "track": "RU"},
    MODERATOR: {"event": "R", "track": "R"},
}
LETTERS = {CREATE: "C", READ: "R", UPDATE: "U", DELETE: "D"}


class UnknownName(LookupError):
    pass


def check_service(name):
    if name not in SERVICES:
        raise UnknownName(f"Unknown service {name!r}; known: {', '.join(SERVICES)}")
    return name


def check_operation(name):
    if name not in OPERATIONS:
        raise UnknownName(f"Unknown operation {name!r}; known: {', '.join(OPERATIONS)}")
    return name


def default_grants(role, service):
    """Return the default (create, read, update, delete) booleans of a role on a service."""
    letters = DEFAULT_MATRIX[role].get(service, "")
    return tuple(LETTERS[operation] in letters for operation in OPERATIONS)
