"""The kinds of change a webhook may ask for, declared once.

Generic kinds come from the models' ``change_name`` (core.versioning records
them); the others from the services that do them (events, orders, roles).
"""

PING = "ping"

KINDS = {
    "event.changed": "Event changed",
    "event.published": "Event published",
    "event.unpublished": "Event unpublished",
    **{
        f"{name}.{verb}": f"{label} {verb}"
        for name, label in (
            ("track", "Track"),
            ("session", "Session"),
            ("speaker", "Speaker"),
            ("sponsor", "Sponsor"),
            ("room", "Room"),
            ("ticket", "Ticket"),
        )
        for verb in ("created", "changed", "deleted")
    },
    "order.placed": "Order placed",
    "order.paid": "Order paid",
    "order.cancelled": "Order cancelled",
    "order.expired": "Order expired",
    "role.granted": "Role granted",
    "role.changed": "Role changed",
    "role.removed": "Role removed",
}
CHOICES = list(KINDS.items())


def unknown(kinds):
    """Return the kinds of the list that are not known, in the order given."""
    return [kind for kind in kinds if kind not in KINDS]
