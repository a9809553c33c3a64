"""Verbs on tickets: each a keyword-only function whose docstring names its side effects."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.versioning import StaleObjectError

from .forms import TicketForm
from .models import Ticket
from .orders.stock import quantity_shortfalls, shortfall_message

# What a formset row may change; position and updated_at are set here.
UPDATABLE_FIELDS = [*TicketForm._meta.fields, "position", "updated_at"]


@dataclass(frozen=True)
class TicketChanges:
    created: int = 0
    updated: int = 0
    deleted: int = 0

    def __str__(self):
        parts = [
            f"{count} {verb}"
            for count, verb in ((self.created, "added"), (self.updated, "changed"), (self.deleted, "removed"))
            if count
        ]
        return ", ".join(parts) or "nothing changed"


@transaction.atomic
def save_tickets(*, formset):
    """Save a valid ticket formset in bulk: deletes, updates changed rows, creates new ones.

    Writes Ticket rows in a few queries whatever the number of rows, and bumps
    the event's tickets counter. Rows are numbered in the order shown. Raises
    StaleObjectError when a row changed or vanished since the organizer saw it,
    ValidationError when a lowered quantity fell below what orders hold (an
    order placed since the form was checked: the rows are locked here first).
    """
    deleted = [form.instance for form in formset.deleted_forms if form.instance.pk]
    changed, created = [], []
    for position, form in enumerate(formset.kept_forms()):
        ticket = form.instance
        if ticket.pk is None:
            ticket.position = position
            created.append(ticket)
        elif form.has_changed() or ticket.position != position:
            ticket.position = position
            changed.append((form, ticket))

    watched = [form for form in formset.deleted_forms if form.instance.pk] + [form for form, _ticket in changed]
    seen = {form.instance.pk: form.cleaned_data.get("seen_version") or form.instance.version for form in watched}
    if seen:
        current = dict(Ticket.objects.select_for_update().filter(pk__in=seen).values_list("pk", "version"))
        stale = sorted(pk for pk, version in seen.items() if current.get(pk) != version)
        if stale:
            raise StaleObjectError(f"Tickets {stale} were changed by someone else.")
        short = quantity_shortfalls(formset.lowered_quantities(), event_id=formset.instance.pk)
        if short:
            names = {form.instance.pk: form.instance.name for form in watched}
            raise ValidationError([shortfall_message(taken, names[pk]) for pk, taken in sorted(short.items())])

    if deleted:
        Ticket.objects.filter(pk__in=[ticket.pk for ticket in deleted]).delete()
    if changed:
        now = timezone.now()
        for _form, ticket in changed:
            ticket.updated_at = now
        Ticket.objects.bulk_update([ticket for _form, ticket in changed], UPDATABLE_FIELDS)
    if created:
        Ticket.objects.bulk_create(created)
    return TicketChanges(created=len(created), updated=len(changed), deleted=len(deleted))
