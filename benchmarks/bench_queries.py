"""Queries: the permission engine for 1 and 4 roles, and the wizard's save of 50 tickets.

- Permission check: every (service, operation) of one event asked of
  ``permissions_for()`` for a user holding R roles there, counted with
  CaptureQueriesContext, with the process's copy of the matrix read
  beforehand (as every request but the first after a matrix change finds
  it). The original server did one query for the user's roles and two per
  role, 2 + 2R in all (computed, not measured).
- Wizard save: the tickets step with 50 new rows, validation included,
  through ``save_tickets()`` (bulk); the baseline saves the same 50 rows one
  by one (Django's ``formset.save()``), on a fresh event each.
"""

from django.contrib.auth import get_user_model

from events.models import Event, Track
from permissions import matrix
from permissions.engine import permissions_for
from permissions.names import OPERATIONS, SERVICES
from permissions.services import grant_role
from tickets.forms import TicketFormSet
from tickets.services import save_tickets
from tickets.tests.formdata import ticket_formset_data

from .harness import LOWER, Row, count_queries
from .world import new_event

ROLES = ["organizer", "coorganizer", "track_organizer", "moderator"]


def checks_for(user_id, event_id):
    """Ask every (service, operation) of a fresh user object (nothing memoised yet)."""
    user = get_user_model().objects.get(pk=user_id)

    def ask():
        perms = permissions_for(user, event_id)
        return [perms.can(op, service, anywhere=True) for service in SERVICES for op in OPERATIONS]

    return ask


def fifty_tickets(event):
    rows = [{"type": "paid", "name": f"Ticket {number}", "price": f"{number + 1}.50"} for number in range(50)]
    return TicketFormSet(ticket_formset_data(rows), instance=event)


def run(bench):
    users = get_user_model()
    owner = users.objects.create_user("queries-owner@bench.example", "queries-owner@bench.example", None)
    event = new_event(owner, "Queries Conf")
    track = Track.objects.create(event=event, name="Main")
    rows = []
    for count in (1, 4):
        user = users.objects.create_user(f"roles{count}@bench.example", f"roles{count}@bench.example", None)
        for role in ROLES[:count]:
            tracks = [track] if role in ("track_organizer", "moderator") else []
            grant_role(user=user, event=event, role_name=role, granted_by=None, tracks=tracks)
        matrix.refresh()
        measured, _seconds, answers = count_queries(checks_for(user.pk, event.pk))
        assert len(answers) == len(SERVICES) * len(OPERATIONS)
        rows.append(
            Row(
                "permissions",
                f"{len(answers)} checks for a user with {count} role{'s' if count > 1 else ''}",
                measured,
                "queries",
                f"original: 2 + 2R = 2 + 2*{count} (computed)",
                2 + 2 * count,
                LOWER,
            )
        )

    bulk_event, single_event = new_event(owner, "Bulk tickets"), new_event(owner, "One by one tickets")

    def bulk():
        formset = fifty_tickets(bulk_event)
        assert formset.is_valid(), formset.errors
        return save_tickets(formset=formset)

    def one_by_one():
        formset = fifty_tickets(single_event)
        assert formset.is_valid(), formset.errors
        return formset.save()

    bulk_queries, bulk_seconds, _ = count_queries(bulk)
    single_queries, single_seconds, saved = count_queries(one_by_one)
    assert len(saved) == 50 and Event.objects.get(pk=bulk_event.pk).tickets.count() == 50
    baseline = "the same 50 rows saved one by one (formset.save())"
    rows += [
        Row(
            "wizard",
            "save 50 new tickets (validation included)",
            bulk_queries,
            "queries",
            baseline,
            single_queries,
            LOWER,
        ),
        Row(
            "wizard",
            "save 50 new tickets, wall time",
            bulk_seconds * 1000,
            "ms",
            baseline,
            single_seconds * 1000,
            LOWER,
        ),
    ]
    return rows
