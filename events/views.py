"""Organizer pages: create an event, its dashboard, and the pages of each service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import generic
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from rest_framework.authentication import CSRFCheck

from eventsite.versioning import StaleObjectError
from permissions.engine import permissions_for
from permissions.mixins import EventPermissionMixin, event_zone
from permissions.names import CREATE, DELETE, READ, SERVICES, TRACK_SCOPED_SERVICES, UPDATE

from . import forms, wizard_views
from .background import (
    BODY_ERRORS,
    CHANGED_MEANWHILE,
    BackgroundError,
    refusal_of_body,
    refuse_oversized_body,
    upload_from,
)
from .models import Event, Microlocation, Session, Speaker, Sponsor, Track
from .queries import published_events
from .services import remove_background, set_background


@login_required
def event_create(request):
    """Step one of the wizard for a new event: its details. The creator becomes its organizer."""
    return wizard_views.start(request)


def public_event(request, slug):
    """The public page of a published event."""
    event = get_object_or_404(published_events(), slug=slug)
    context = {
        "event": event,
        "sessions": event.sessions.select_related("track", "microlocation").prefetch_related("speakers"),
        "sponsors": event.sponsors.all(),
        "tickets": event.tickets.on_sale(),
    }
    with timezone.override(event_zone(event.timezone)):
        return render(request, "events/public.html", context)


# The CSRF check is made by hand, after the size check: the middleware would
# read (and Django refuse with an HTML page) an oversized body first.
@csrf_exempt
@require_http_methods(["POST", "DELETE"])
def event_background(request, event_id):
    """Upload (POST a file or data: URL) or remove (DELETE) the event's background; answers JSON."""
    try:
        refuse_oversized_body(request)
        perms = permissions_for(request.user, event_id)
        if not perms.can(UPDATE, "event"):
            if not request.user.is_authenticated and perms.exists:
                return redirect_to_login(request.get_full_path())
            if not perms.can_see_event:
                raise BackgroundError("No such event.", status=404)
            raise BackgroundError("You may not change this event.", status=403)
        try:
            csrf_failure = CSRFCheck(lambda request: None).process_view(request, None, (), {})
            if csrf_failure:
                raise BackgroundError(f"CSRF check failed: {csrf_failure}", status=403)
            event = get_object_or_404(Event, pk=event_id)
            if request.method == "DELETE":
                remove_background(event=event, by=request.user)
            else:
                set_background(event=event, upload=upload_from(request.POST, request.FILES), by=request.user)
        except BODY_ERRORS as error:
            raise refusal_of_body(error) from error
        except StaleObjectError as error:
            raise BackgroundError(CHANGED_MEANWHILE, status=409) from error
    except BackgroundError as error:
        return JsonResponse(error.as_json(), status=error.status)
    return JsonResponse({"status": "ok", "background_url": event.background.url if event.background else None})


class DashboardView(EventPermissionMixin, generic.DetailView):
    template_name = "events/dashboard.html"
    service, operation = "event", READ
    context_object_name = "event"

    def get_object(self, queryset=None):
        return get_object_or_404(Event, pk=self.kwargs["event_id"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        perms = self.event_permissions
        context["services"] = [
            {"kind": kind, "label": SERVICE_PAGES[kind].label, "operations": perms.operations(service)}
            for kind, service in PAGE_SERVICES.items()
            if perms.can(READ, service, anywhere=True)
        ]
        context["can_edit_event"] = perms.can(UPDATE, "event")
        context["can_read_tickets"] = perms.can(READ, "ticket", anywhere=True)
        context["ticket_operations"] = perms.operations("ticket")
        return context


class EventEditView(EventPermissionMixin, generic.UpdateView):
    template_name = "events/event_form.html"
    service, operation = "event", UPDATE
    form_class = forms.EventDetailsForm

    def get_object(self, queryset=None):
        return get_object_or_404(Event, pk=self.kwargs["event_id"])

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except StaleObjectError:
            form.add_error(None, "Someone else changed this event meanwhile; reload and try again.")
            return self.form_invalid(form)

    def get_success_url(self):
        return reverse("events:dashboard", args=[self.object.pk])


class ServicePage:
    """What the generic pages need to know about one kind of service object."""

    def __init__(self, model, form_class, label, columns):
        self.model, self.form_class, self.label, self.columns = model, form_class, label, columns


SERVICE_PAGES = {
    "tracks": ServicePage(Track, forms.TrackForm, "Tracks", ["name", "location"]),
    "sessions": ServicePage(Session, forms.SessionForm, "Sessions", ["title", "track", "starts_at"]),
    "speakers": ServicePage(Speaker, forms.SpeakerForm, "Speakers", ["name", "organisation"]),
    "sponsors": ServicePage(Sponsor, forms.SponsorForm, "Sponsors", ["name", "level"]),
    "microlocations": ServicePage(Microlocation, forms.MicrolocationForm, "Microlocations", ["name", "floor"]),
}
PAGE_SERVICES = {kind: page.model.__name__.lower() for kind, page in SERVICE_PAGES.items()}
assert set(PAGE_SERVICES.values()) <= set(SERVICES)


class ServiceMixin(EventPermissionMixin):
    """Pick the service from the URL's ``kind`` and scope objects to the event (and track limit)."""

    def dispatch(self, request, *args, **kwargs):
        if kwargs["kind"] not in SERVICE_PAGES:
            raise Http404("No such page.")
        self.page = SERVICE_PAGES[kwargs["kind"]]
        self.service = PAGE_SERVICES[kwargs["kind"]]
        return super().dispatch(request, *args, **kwargs)

    def track_of(self, obj):
        if self.service not in TRACK_SCOPED_SERVICES:
            return None
        return obj.pk if self.service == "track" else obj.track_id

    def get_queryset(self):
        queryset = self.page.model.objects.filter(event_id=self.kwargs["event_id"])
        limit = self.event_permissions.track_limit(READ, self.service)
        if limit is not None and self.service in TRACK_SCOPED_SERVICES:
            queryset = queryset.filter(**{"id__in" if self.service == "track" else "track_id__in": limit})
        return queryset

    def get_object(self, queryset=None):
        obj = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        if not self.event_permissions.can(self.operation, self.service, track_id=self.track_of(obj)):
            raise PermissionDenied(f"Your role does not reach this {self.service}.")
        return obj

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            page=self.page,
            kind=self.kwargs["kind"],
            event=get_object_or_404(Event, pk=self.kwargs["event_id"]),
            can_create=self.event_permissions.can(CREATE, self.service, anywhere=True),
            can_update=self.event_permissions.can(UPDATE, self.service, anywhere=True),
            can_delete=self.event_permissions.can(DELETE, self.service, anywhere=True),
        )
        return context

    def get_success_url(self):
        return reverse("events:service-list", args=[self.kwargs["event_id"], self.kwargs["kind"]])


class ServiceFormMixin(ServiceMixin):
    template_name = "events/service_form.html"

    def get_form_class(self):
        return self.page.form_class

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "event": Event.objects.get(pk=self.kwargs["event_id"])}

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.object = form.save()
                if not self.event_permissions.can(self.operation, self.service, track_id=self.track_of(self.object)):
                    raise PermissionDenied(f"Your role does not reach this {self.service}.")
        except StaleObjectError:
            form.add_error(None, "Someone else changed this meanwhile; reload and try again.")
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
