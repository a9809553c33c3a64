"""Organizer pages: create an event, its dashboard, and the pages of each service; the public page."""

from functools import cached_property

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import generic

from core.versioning import StaleObjectError
from permissions.drf import track_of
from permissions.mixins import EventPermissionMixin
from permissions.names import CREATE, DELETE, READ, TRACK_SCOPED_SERVICES, UPDATE
from tickets.orders.forms import SelectionForm, new_visit
from tickets.orders.stock import offers as ticket_offers
from tickets.orders.stock import sales_summary

from . import forms, wizard_views
from .models import Microlocation, Session, Speaker, Sponsor, Track
from .schedule import public_sessions


@login_required
def event_create(request):
    """Step one of the wizard for a new event: its details. The creator becomes its organizer."""
    return wizard_views.start(request)


class PublicEventView(EventPermissionMixin, generic.TemplateView):
    """The public page of a published event (its team also sees a draft here, as a preview).

    Every ticket not hidden is listed with its state (on sale, not yet, ended,
    sold out) and, while on sale, a quantity to choose; ``?access=<secret>``
    (the link organizers copy) adds a hidden ticket.
    """

    template_name = "events/public.html"
    event_slug_kwarg = "slug"

    @cached_property
    def access(self):
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        return (data.get("access") or "")[:64] or None

    @cached_property
    def offers(self):
        return ticket_offers(self.event, access=self.access)

    def get_context_data(self, selection=None, **kwargs):
        event = self.event
        if selection is None:
            selection = SelectionForm(offers=self.offers, initial={"access": self.access, "visit": new_visit()})
        return super().get_context_data(
            sessions=public_sessions(event).select_related("track", "microlocation").prefetch_related("speakers"),
            sponsors=event.sponsors.all(),
            offers=self.offers,
            selection=selection,
            **kwargs,
        )


class DashboardView(EventPermissionMixin, generic.DetailView):
    template_name = "events/dashboard.html"
    service, operation = "event", READ
    context_object_name = "event"

    def get_object(self, queryset=None):
        return self.event

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        perms = self.event_permissions
        context["services"] = [
            {"kind": kind, "label": page.label, "operations": perms.operations(page.service)}
            for kind, page in SERVICE_PAGES.items()
            if perms.can(READ, page.service, anywhere=True)
        ]
        context["can_edit_event"] = perms.can(UPDATE, "event")
        context["can_read_tickets"] = perms.can(READ, "ticket", anywhere=True)
        context["can_read_team"] = perms.can(READ, "team")
        context["ticket_operations"] = perms.operations("ticket")
        context["can_read_orders"] = perms.can(READ, "order")
        if context["can_read_orders"]:
            context["sales"], context["revenue"] = sales_summary(self.event)
        return context


class EventEditView(EventPermissionMixin, generic.UpdateView):
    template_name = "events/event_form.html"
    service, operation = "event", UPDATE
    form_class = forms.EventSettingsForm

    def get_object(self, queryset=None):
        return self.event

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except StaleObjectError as error:
            form.add_error(None, error.user_message)
            return self.form_invalid(form)

    def get_success_url(self):
        return reverse("events:dashboard", args=[self.object.pk])


class ServicePage:
    """What the generic pages need to know about one kind of service object; its URL name is the model's list."""

    def __init__(self, model, form_class, label, columns):
        self.model, self.form_class, self.label, self.columns = model, form_class, label, columns
        self.service = model.service


SERVICE_PAGES = {
    page.model.version_list: page
    for page in [
        ServicePage(Track, forms.TrackForm, "Tracks", ["name", "location"]),
        ServicePage(Session, forms.SessionForm, "Sessions", ["title", "state", "track", "starts_at"]),
        ServicePage(Speaker, forms.SpeakerForm, "Speakers", ["name", "organisation"]),
        ServicePage(Sponsor, forms.SponsorForm, "Sponsors", ["name", "level"]),
        ServicePage(Microlocation, forms.MicrolocationForm, "Microlocations", ["name", "floor"]),
    ]
}


class ServiceMixin(EventPermissionMixin):
    """Pick the service from the URL's ``kind`` and scope objects to the event (and track limit)."""

    def dispatch(self, request, *args, **kwargs):
        if kwargs["kind"] not in SERVICE_PAGES:
            raise Http404("No such page.")
        self.page = SERVICE_PAGES[kwargs["kind"]]
        self.service = self.page.service
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        queryset = self.page.model.objects.filter(event=self.event)
        limit = self.event_permissions.track_limit(READ, self.service)
        if limit is not None and self.service in TRACK_SCOPED_SERVICES:
            queryset = queryset.filter(**{f"{self.page.model.track_attname}__in": limit})
        return queryset

    def get_object(self, queryset=None):
        obj = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        self.require(self.operation, track_id=track_of(obj))
        obj.event = self.event
        return obj

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            page=self.page,
            kind=self.kwargs["kind"],
            can_create=self.event_permissions.can(CREATE, self.service, anywhere=True),
            can_update=self.event_permissions.can(UPDATE, self.service, anywhere=True),
            can_delete=self.event_permissions.can(DELETE, self.service, anywhere=True),
        )
        return context

    def get_success_url(self):
        return reverse("events:service-list", args=[self.event.pk, self.kwargs["kind"]])


class ServiceFormMixin(ServiceMixin):
    template_name = "events/service_form.html"

    def get_form_class(self):
        return self.page.form_class

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "event": self.event}

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.object = form.save()
                # After the change too: an object moved into a track the role does not reach is refused.
                self.require(self.operation, track_id=track_of(self.object))
        except StaleObjectError as error:
            form.add_error(None, error.user_message)
            return self.form_invalid(form)
        messages.success(self.request, f"Saved {self.object}.")
        return redirect(self.get_success_url())


class ServiceListView(ServiceMixin, generic.ListView):
    template_name = "events/service_list.html"
    operation = READ
    paginate_by = 50


class ServiceCreateView(ServiceFormMixin, generic.CreateView):
    operation = CREATE


class ServiceUpdateView(ServiceFormMixin, generic.UpdateView):
    operation = UPDATE


class ServiceDeleteView(ServiceMixin, generic.DeleteView):
    template_name = "events/service_confirm_delete.html"
    operation = DELETE

    def form_valid(self, form):
        messages.success(self.request, f"Deleted {self.object}.")
        return super().form_valid(form)
