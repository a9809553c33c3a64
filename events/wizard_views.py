"""The wizard's pages: /events/new/ (details of a new event) and /events/<id>/wizard/<step>/.

Every submit saves the step, then goes where its button says: ``back``,
``stay`` (save draft), ``next``, or ``publish`` on the last step. An invalid
submit re-renders the step with what was entered and the errors.
"""

import re
import secrets

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import RestrictedError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View

from core.versioning import StaleObjectError
from permissions.engine import load_event, permissions_for
from permissions.mixins import EventPermissionMixin, event_zone
from permissions.names import CREATE, DELETE, UPDATE

from . import wizard

CLASH_MESSAGE = "Another ticket of this event has one of these names (maybe added meanwhile); nothing was saved."
SOLD_MESSAGE = "A ticket you removed was ordered meanwhile, so it stays; nothing was saved."


def step_url(event, step):
    return reverse("events:wizard", args=[event.pk, step.identifier])


def render_step(request, step, *, event, form, perms=None, status=200, draft_token=None):
    context = {
        "draft_token": draft_token,
        "step": step,
        "event": event,
        "form": form,
        "steps": [
            {
                "step": candidate,
                "number": number,
                "done": event is not None and candidate.is_completed(event),
                "current": candidate is step,
                "url": step_url(event, candidate) if event is not None else None,
            }
            for number, candidate in enumerate(wizard.STEPS, start=1)
        ],
        "previous": wizard.neighbour(step, -1),
        "next": wizard.neighbour(step, +1),
    }
    if event is not None and perms is not None:
        context.update(step.get_context(event=event, perms=perms))
        context["may"] = {op: perms.can(op, "ticket", anywhere=True) for op in (CREATE, UPDATE, DELETE)}
    return render(request, step.template_name, context, status=status)


def destination(event, step, go):
    """Return the URL a saved step moves on to."""
    if go == "back" and wizard.neighbour(step, -1):
        return step_url(event, wizard.neighbour(step, -1))
    if go == "next" and wizard.neighbour(step, +1):
        return step_url(event, wizard.neighbour(step, +1))
    if go in ("publish", "close"):
        return reverse("events:dashboard", args=[event.pk])
    return step_url(event, step)


# Each visit of /events/new/ gets a token in its address (?draft=...) and its form. The session remembers
# which draft a token created, so the same page sent again (a double click, or the browser's Back, which
# shows the page from its cache or asks for its address again) saves or shows that draft: never a second one.
DRAFTS_SESSION_KEY = "wizard_drafts"
DRAFTS_REMEMBERED = 20
DRAFT_TOKEN = re.compile(r"[\w-]{16,64}")


def _draft_of(request, token):
    """Return the draft this visit of step one created, if the user may still edit it; else None."""
    event_id = request.session.get(DRAFTS_SESSION_KEY, {}).get(token or "")
    event = load_event(request.user, event_id) if event_id else None
    if event is None or not permissions_for(request.user, event).can(UPDATE, "event"):
        return None
    return event


def _remember_draft(request, token, event):
    drafts = dict(request.session.get(DRAFTS_SESSION_KEY, {}))
    drafts[token] = event.pk
    # Dicts keep insertion order: forget the oldest visits.
    request.session[DRAFTS_SESSION_KEY] = dict(list(drafts.items())[-DRAFTS_REMEMBERED:])


def start(request):
    """Step one for a new event: save its details as a draft, its creator as organizer.

    Sent again from the same visit, it saves the draft that visit created.
    """
    step = wizard.get_step("details")
    token = request.POST.get("draft") or request.GET.get("draft") or ""
    if not DRAFT_TOKEN.fullmatch(token):
        if request.method != "POST":
            return redirect(f"{reverse('events:create')}?{urlencode({'draft': secrets.token_urlsafe(16)})}")
        token = secrets.token_urlsafe(16)
    draft = _draft_of(request, token)
    if request.method != "POST":
        if draft is not None:
            messages.info(request, f"{draft.name} was saved as a draft already; changes here update it.")
            return redirect(step_url(draft, step))
        return render_step(request, step, event=None, form=step.get_form(event=None, perms=None), draft_token=token)
    if draft is not None:
        with timezone.override(event_zone(draft.timezone)):
            form = step.get_form(event=draft, perms=None, data=request.POST)
            if form.is_valid():
                try:
                    event = step.save(form, event=draft, user=request.user)
                except StaleObjectError as error:
                    form.add_error(None, error.user_message)
                else:
                    messages.success(request, f"{event.name} was saved.")
                    return redirect(destination(event, step, request.POST.get("go", "next")))
        return render_step(request, step, event=None, form=form, draft_token=token)
    form = step.get_form(event=None, perms=None, data=request.POST)
    if form.is_valid():
        event = step.save(form, event=None, user=request.user)
        _remember_draft(request, token, event)
        messages.success(request, f"{event.name} was saved as a draft.")
        return redirect(destination(event, step, request.POST.get("go", "next")))
    return render_step(request, step, event=None, form=form, draft_token=token)


class ResumeView(EventPermissionMixin, View):
    """Send the organizer to the first step not done yet; an event the user cannot see is a 404."""

    service, operation = "event", UPDATE

    def get(self, request, event_id):
        return redirect(step_url(self.event, wizard.first_incomplete(self.event)))


resume = ResumeView.as_view()


class WizardStepView(EventPermissionMixin, View):
    """One step of an existing event; the step decides what permission it needs."""

    service, operation = "event", UPDATE

    def dispatch(self, request, *args, **kwargs):
        self.step = wizard.get_step(kwargs["step"])
        return super().dispatch(request, *args, **kwargs)

    def has_permission(self):
        return self.step.has_permission(self.event_permissions)

    def get(self, request, event_id, step):
        event = self.event
        form = self.step.get_form(event=event, perms=self.event_permissions)
        return render_step(request, self.step, event=event, form=form, perms=self.event_permissions)

    def post(self, request, event_id, step):
        event = self.event
        perms = self.event_permissions
        go = request.POST.get("go", "next")
        form = self.step.get_form(event=event, perms=perms, data=request.POST, files=request.FILES)
        if form is not None and getattr(form, "is_tampered", False):
            # Re-showing a broken management form would break the next submit too.
            error = form.non_form_errors()[0] if form.non_form_errors() else ""
            form = self.step.get_form(event=event, perms=perms)
            form.tampered_error = error or "The list of tickets arrived incomplete; nothing was saved."
            return render_step(request, self.step, event=event, form=form, perms=perms)
        if form is None or form.is_valid():
            try:
                # Each step's save is one service call, atomic by itself.
                event = self.step.save(form, event=event, user=request.user)
            except StaleObjectError as error:
                self.add_error(form, error.user_message)
            except RestrictedError:
                self.add_error(form, SOLD_MESSAGE)
            except ValidationError as error:
                # The service decides (e.g. the last ticket was removed meanwhile): say why, save nothing.
                for message in error.messages:
                    self.add_error(form, message)
            except IntegrityError:
                self.add_error(form, CLASH_MESSAGE)
            else:
                self.report(form, go)
                return redirect(destination(event, self.step, go))
        return render_step(request, self.step, event=event, form=form, perms=perms)

    def add_error(self, form, message):
        if hasattr(form, "non_form_errors"):
            form.non_form_errors().append(message)
        else:
            form.add_error(None, message)

    def report(self, form, go):
        if go == "publish":
            messages.success(self.request, "The event is published.")
        elif hasattr(form, "changes"):
            messages.success(self.request, f"Tickets saved: {form.changes}.")
        elif form is not None:
            messages.success(self.request, f"{self.step.label} saved.")
