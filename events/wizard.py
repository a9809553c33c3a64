"""The event wizard as data: details -> background image -> tickets -> review & publish.

Each step is a small class naming its identifier, label, template, what
permission it needs, when it counts as done, and how it builds and saves its
form. The views in wizard_views.py walk ``STEPS``; a step can be added or
replaced without touching them.
"""

from django import forms
from django.http import Http404

from permissions.names import CREATE, DELETE, UPDATE
from tickets.forms import TicketFormSet
from tickets.services import save_tickets

from .forms import EventDetailsForm
from .services import create_event, publish_event, publish_problems


class Step:
    identifier = label = template_name = None
    # An optional step never holds up resuming (the organizer may do it later).
    optional = False

    def is_completed(self, event):
        raise NotImplementedError

    def has_permission(self, perms):
        return perms.can(UPDATE, "event")

    def get_form(self, *, event, perms, data=None, files=None):
        """Return the step's form or formset, or None for a step without one."""
        return None

    def save(self, form, *, event, user):
        """Save the valid form through one atomic service call; return the event (a new one for step one)."""
        return event

    def get_context(self, *, event, perms):
        return {}


class DetailsStep(Step):
    identifier, label, template_name = "details", "Details", "events/wizard/details.html"

    def is_completed(self, event):
        return event is not None and event.pk is not None

    def get_form(self, *, event, perms, data=None, files=None):
        return EventDetailsForm(data, instance=event)

    def save(self, form, *, event, user):
        if event is None:
            return create_event(user=user, **form.cleaned_data)
        return form.save()


class BackgroundStep(Step):
    """The cropped background image, uploaded at once by the page's script (no form to save here)."""

    identifier, label, template_name = "background", "Background image", "events/wizard/background.html"
    optional = True

    def is_completed(self, event):
        return bool(event.background)


class TicketsStep(Step):
    identifier, label, template_name = "tickets", "Tickets", "events/wizard/tickets.html"

    def is_completed(self, event):
        return event.tickets.exists()

    def has_permission(self, perms):
        return any(perms.can(operation, "ticket", anywhere=True) for operation in (CREATE, UPDATE, DELETE))

    def get_form(self, *, event, perms, data=None, files=None):
        return TicketFormSet(
            data,
            instance=event,
            may_create=perms.can(CREATE, "ticket", anywhere=True),
            may_update=perms.can(UPDATE, "ticket", anywhere=True),
            may_delete=perms.can(DELETE, "ticket", anywhere=True),
        )

    def save(self, form, *, event, user):
        form.changes = save_tickets(formset=form)
        return event

    def get_context(self, *, event, perms):
        return {"role_note": role_note(perms)}


TICKET_VERBS = {CREATE: "add", UPDATE: "change", DELETE: "remove"}


def role_note(perms):
    """Return what the user's role can and cannot do with tickets, in words ("" when it can do everything)."""
    allowed = [verb for operation, verb in TICKET_VERBS.items() if perms.can(operation, "ticket", anywhere=True)]
    denied = [verb for verb in TICKET_VERBS.values() if verb not in allowed]
    if not denied:
        return ""
    return f"Your role can {' and '.join(allowed)} these tickets, not {' or '.join(denied)} them."


class PublishForm(forms.Form):
    """Nothing to fill in: validating it tells early why the event cannot go public (the service decides)."""

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event

    def clean(self):
        if self.event.is_published:
            raise forms.ValidationError("This event is already published.")
        problems = publish_problems(self.event)
        if problems:
            raise forms.ValidationError(list(problems.values()))
        return super().clean()


class ReviewStep(Step):
    identifier, label, template_name = "review", "Review & publish", "events/wizard/review.html"

    def is_completed(self, event):
        return event.is_published

    def get_form(self, *, event, perms, data=None, files=None):
        # Only the Publish button submits this form; Back and Save just move on.
        return PublishForm(data, event=event) if data is not None and data.get("go") == "publish" else None

    def save(self, form, *, event, user):
        if form is not None:
            publish_event(event=event, by=user)
        return event

    def get_context(self, *, event, perms):
        return {"tickets": event.tickets.all(), "problems": {} if event.is_published else publish_problems(event)}


STEPS = (DetailsStep(), BackgroundStep(), TicketsStep(), ReviewStep())


def get_step(identifier):
    for step in STEPS:
        if step.identifier == identifier:
            return step
    raise Http404(f"No wizard step {identifier!r}.")


def neighbour(step, offset):
    """Return the step ``offset`` places away, or None past either end."""
    index = STEPS.index(step) + offset
    return STEPS[index] if 0 <= index < len(STEPS) else None


def first_incomplete(event):
    """Return the step to resume at: the first required one not done, or the last."""
    return next((step for step in STEPS if not step.optional and not step.is_completed(event)), STEPS[-1])
