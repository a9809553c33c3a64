"""What the event dashboard shows: the checklist before publishing, counts per service, the tickets' states.

Each piece is computed from the event and the user's permissions (the
``EventPermissions`` the door loaded), so the page offers a link only where
the role may follow it.
"""

from dataclasses import dataclass

from django.db.models import Count, Value
from django.urls import reverse
from django.utils import timezone

from permissions.names import CREATE, DELETE, READ, UPDATE

from .queries import readable
from .services import publish_problems


@dataclass(frozen=True)
class ChecklistItem:
    """One thing an event has or lacks before it goes public."""

    label: str
    done: bool
    required: bool = False
    # Where the user can do it (None: their role cannot; ``who`` then says who can).
    url: str | None = None
    action: str = ""
    who: str = ""


def checklist(event, perms, *, counts):
    """Return what the event has and lacks before publishing; required items are the publishing rules."""
    problems = publish_problems(event)
    may_edit = perms.can(UPDATE, "event")

    def wizard(step):
        return reverse("events:wizard", args=[event.pk, step]) if may_edit else None

    may_add_ticket = perms.can(CREATE, "ticket", anywhere=True)
    sessions = counts.get("sessions")
    items = [
        ChecklistItem("Name, dates and time zone", True, required=True),
        ChecklistItem(
            "At least one ticket",
            "ticket" not in problems,
            required=True,
            url=reverse("events:wizard", args=[event.pk, "tickets"]) if may_add_ticket and may_edit else None,
            action="Add a ticket",
            who="" if may_add_ticket else "An organizer of this event adds tickets.",
        ),
    ]
    if "payment_instructions" in problems or event.payment_instructions:
        items.append(
            ChecklistItem(
                "How buyers of paid and donation tickets pay",
                "payment_instructions" not in problems,
                required=True,
                url=f"{reverse('events:edit', args=[event.pk])}#payment" if may_edit else None,
                action="Add payment instructions",
                who="An organizer of this event sets them.",
            )
        )
    items += [
        ChecklistItem("A description", bool(event.description), url=wizard("details"), action="Describe the event"),
        ChecklistItem("A background image", bool(event.background), url=wizard("background"), action="Add an image"),
    ]
    if sessions is not None:
        may_add_session = perms.can(CREATE, "session", anywhere=True)
        items.append(
            ChecklistItem(
                "Sessions in the schedule",
                sessions > 0,
                url=reverse("events:service-create", args=[event.pk, "sessions"]) if may_add_session else None,
                action="Add the first session",
            )
        )
    return items


def service_counts(pages, event, perms):
    """Return {kind: how many objects the user may read} for the service pages given, in one query."""
    counted = [
        readable(page.model, event, perms).order_by().annotate(kind=Value(kind)).values("kind").annotate(n=Count("pk"))
        for kind, page in pages.items()
    ]
    if not counted:
        return {}
    first, *others = [queryset.values_list("kind", "n") for queryset in counted]
    # A union takes the first model's default ordering back: clear it, no column of it is selected.
    return dict(first.union(*others, all=True).order_by())


def services_overview(pages, event, perms):
    """Return one entry per service page the user may read: its label, count and what the role may do there."""
    readable = {kind: page for kind, page in pages.items() if perms.can(READ, page.service, anywhere=True)}
    counts = service_counts(readable, event, perms)
    return [
        {
            "kind": kind,
            "label": page.label,
            "singular": page.singular,
            "count": counts.get(kind, 0),
            "can_create": perms.can(CREATE, page.service, anywhere=True),
            "view_only": not any(perms.can(op, page.service, anywhere=True) for op in (CREATE, UPDATE, DELETE)),
            # Kept for templates that name the operations; the page itself says it in words.
            "operations": perms.operations(page.service),
        }
        for kind, page in readable.items()
    ]


TICKET_STATES = {
    "hidden": ("Hidden", "text-bg-secondary"),
    "scheduled": ("Sales not started", "text-bg-info"),
    "ended": ("Sales ended", "text-bg-dark"),
    "on_sale": ("On sale", "text-bg-success"),
    "sold_out": ("Sold out", "text-bg-danger"),
    "draft": ("On sale once published", "text-bg-warning"),
}


def ticket_state(ticket, event, now):
    """Return the key of TICKET_STATES that describes the ticket now (``ticket.left``: what orders leave of it)."""
    if ticket.hidden:
        return "hidden"
    if ticket.sales_starts_at and ticket.sales_starts_at > now:
        return "scheduled"
    ends = ticket.sales_ends_at or event.ends_at
    if ends <= now:
        return "ended"
    if not event.is_published:
        return "draft"
    return "sold_out" if ticket.left < ticket.min_order else "on_sale"  # as the public page says it


def ticket_rows(event, tickets, *, now=None):
    """Return the tickets (stock.sales_summary's), each with ``state`` and ``state_label``/``state_class``."""
    now = now or timezone.now()
    for ticket in tickets:
        ticket.state = ticket_state(ticket, event, now)
        ticket.state_label, ticket.state_class = TICKET_STATES[ticket.state]
    return tickets
