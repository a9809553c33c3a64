"""Organizer pages: create an event, its dashboard, and the pages of each service; the public page."""

from dataclasses import dataclass, field
from functools import cached_property

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views import View, generic

from core.links import absolute_url
from core.names import check_unique_name
from core.versioning import StaleObjectError
from permissions.drf import track_of
from permissions.mixins import EventPermissionMixin
from permissions.names import CREATE, DELETE, READ, ROLE_LABELS, ROLES, UPDATE
from tickets.orders.forms import SelectionForm, new_visit
from tickets.orders.stock import offers as ticket_offers
from tickets.orders.stock import sales_summary

from . import dashboard, forms, services, wizard_views
from .models import Microlocation, Session, Speaker, Sponsor, Track
from .queries import readable
from .schedule import public_sessions, with_speakers


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
            # Track and room by their ids: joined, PostgreSQL hashed every track and room of the site.
            sessions=with_speakers(public_sessions(event), event).prefetch_related("track", "microlocation"),
            sponsors=event.sponsors.all(),
            offers=self.offers,
            selection=selection,
            **kwargs,
        )


class DashboardView(EventPermissionMixin, generic.DetailView):
    """The event at a glance: what is missing before publishing, its public address, its services and tickets.

    The context only grows: pieces other pages add (orders, revenue) slot into the template's blocks.
    """

    template_name = "events/dashboard.html"
    service, operation = "event", READ
    context_object_name = "event"

    def get_object(self, queryset=None):
        return self.event

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        perms, event = self.event_permissions, self.event
        services_overview = dashboard.services_overview(SERVICE_PAGES, event, perms)
        context["services"] = services_overview
        context["can_edit_event"] = perms.can(UPDATE, "event")
        context["can_delete_event"] = perms.can(DELETE, "event")
        context["can_read_tickets"] = perms.can(READ, "ticket", anywhere=True)
        context["can_read_team"] = perms.can(READ, "team")
        context["can_read_webhooks"] = perms.can(READ, "webhook")
        context["ticket_operations"] = perms.operations("ticket")
        context["can_read_orders"] = perms.can(READ, "order")
        context["public_url"] = absolute_url(event.get_absolute_url())
        context["your_roles"] = [ROLE_LABELS[name] for name in ROLES if name in perms.roles]
        if context["can_read_orders"] or context["can_read_tickets"]:
            # The rows with what each ticket sold and has left (its state says "Sold out"): one query.
            sales, revenue = sales_summary(event)
            context["tickets"] = dashboard.ticket_rows(event, sales)
            if context["can_read_orders"]:
                context["revenue"] = revenue
        if context["can_read_tickets"]:
            context["can_change_tickets"] = any(
                perms.can(op, "ticket", anywhere=True) for op in (CREATE, UPDATE, DELETE)
            )
            context["can_add_tickets"] = perms.can(CREATE, "ticket", anywhere=True)
        if not event.is_published:
            counts = {entry["kind"]: entry["count"] for entry in services_overview}
            context["checklist"] = dashboard.checklist(event, perms, counts=counts)
            context["ready_to_publish"] = all(item.done for item in context["checklist"] if item.required)
        return context


class EventStateView(EventPermissionMixin, View):
    """POST only: publish or unpublish the event through its service, then back to the dashboard with a message."""

    service, operation = "event", UPDATE
    verb = success = None
    http_method_names = ["post"]

    def post(self, request, event_id):
        try:
            self.verb(event=self.event, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except StaleObjectError as error:
            messages.error(request, error.user_message)
        else:
            messages.success(request, self.success.format(name=self.event.name))
        return redirect("events:dashboard", self.event.pk)


class EventPublishView(EventStateView):
    verb = staticmethod(services.publish_event)
    success = "{name} is published."


class EventUnpublishView(EventStateView):
    verb = staticmethod(services.unpublish_event)
    success = "{name} is a draft again: only its team sees it."


class EventDeleteView(EventPermissionMixin, generic.TemplateView):
    """Ask (GET), then delete the event with everything in it (POST)."""

    template_name = "events/event_confirm_delete.html"
    service, operation = "event", DELETE

    def get_context_data(self, **kwargs):
        # An event with orders stays: the page says why instead of offering the button.
        refusal = services.orders_refusal(self.event, self.event.orders.count())
        return {**super().get_context_data(**kwargs), "refusal": refusal}

    def post(self, request, event_id):
        if request.POST.get("confirmed") != "1":
            # Not asked yet (a browser without script): ask on this page first.
            return self.get(request, event_id)
        name = self.event.name
        try:
            services.delete_event(event=self.event, by=request.user)
        except services.EventHasOrders:
            return self.render_to_response(self.get_context_data(), status=409)  # the page says why
        messages.success(request, f"{name} was deleted.")
        return redirect("home")


class EventEditView(EventPermissionMixin, generic.UpdateView):
    template_name = "events/event_form.html"
    service, operation = "event", UPDATE
    form_class = forms.EventSettingsForm

    def get_object(self, queryset=None):
        return self.event

    def form_valid(self, form):
        try:
            response = super().form_valid(form)
        except StaleObjectError as error:
            form.add_error(None, error.user_message)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.object.name} was saved.")
        return response

    def get_success_url(self):
        # The wizard's review step links here to add payment instructions: back there, to publish.
        if self.request.GET.get("next") == "review":
            return reverse("events:wizard", args=[self.object.pk, "review"])
        return reverse("events:dashboard", args=[self.object.pk])


@dataclass(frozen=True)
class Column:
    """A column of a service list: its heading, the ordering it sorts by (empty: not sortable)."""

    key: str
    label: str
    sort: str = ""


@dataclass(frozen=True)
class ServicePage:
    """What the generic pages need to know about one kind of service object; its URL name is the model's list."""

    model: type
    form_class: type
    label: str
    singular: str
    columns: list = field(default_factory=list)
    default_sort: str = ""
    related: tuple = ()
    prefetch: tuple = ()
    annotate: dict = field(default_factory=dict)

    @property
    def service(self):
        return self.model.service


SERVICE_PAGES = {
    page.model.version_list: page
    for page in [
        ServicePage(
            Track,
            forms.TrackForm,
            "Tracks",
            "track",
            [
                Column("name", "Track", "name"),
                Column("location", "Location", "location"),
                Column("sessions", "Sessions", "session_count"),
            ],
            default_sort="name",
            annotate={"session_count": Count("sessions")},
        ),
        ServicePage(
            Session,
            forms.SessionForm,
            "Sessions",
            "session",
            [
                Column("time", "Time", "starts_at"),
                Column("title", "Session", "title"),
                Column("room", "Room", "microlocation__name"),
                Column("track", "Track", "track__name"),
                Column("speakers", "Speakers"),
                Column("state", "State", "state"),
            ],
            default_sort="time",
            prefetch=("track", "microlocation", "speakers"),
        ),
        ServicePage(
            Speaker,
            forms.SpeakerForm,
            "Speakers",
            "speaker",
            [
                Column("name", "Speaker", "name"),
                Column("organisation", "Organisation", "organisation"),
                Column("sessions", "Sessions", "session_count"),
            ],
            default_sort="name",
            annotate={"session_count": Count("sessions")},
        ),
        ServicePage(
            Sponsor,
            forms.SponsorForm,
            "Sponsors",
            "sponsor",
            [Column("logo", "Logo"), Column("name", "Sponsor", "name"), Column("level", "Level", "level")],
            default_sort="level",
        ),
        # Microlocations are "rooms" to people; URLs and API names keep the model's name.
        ServicePage(
            Microlocation,
            forms.MicrolocationForm,
            "Rooms",
            "room",
            [
                Column("name", "Room", "name"),
                Column("floor", "Floor", "floor"),
                Column("sessions", "Sessions", "session_count"),
            ],
            default_sort="name",
            annotate={"session_count": Count("sessions")},
        ),
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
        return readable(self.page.model, self.event, self.event_permissions)

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
        except ValidationError as error:  # the save's own check, e.g. a room taken at the same moment
            form.add_error(None, error)
            return self.form_invalid(form)
        except IntegrityError:
            # Another writer took the name between the form's check and this save: asked again, the check says so.
            try:
                check_unique_name(form.instance)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                form.add_error(None, "This conflicts with something saved at the same moment; nothing was saved.")
            return self.form_invalid(form)
        messages.success(self.request, f"Saved {self.object}.")
        return redirect(self.get_success_url())


class ServiceListView(ServiceMixin, generic.ListView):
    """A service's objects with the columns organizers look for, sortable by a column (``?sort=-time``)."""

    template_name = "events/service_list.html"
    operation = READ
    paginate_by = 50

    def sort_key(self):
        """Return the validated ``sort`` parameter (a column key, "-" for descending) or the page's default."""
        wanted = self.request.GET.get("sort", "")
        sortable = {column.key for column in self.page.columns if column.sort}
        return wanted if wanted.removeprefix("-") in sortable else self.page.default_sort

    def get_queryset(self):
        page = self.page
        queryset = super().get_queryset()
        if page.related:
            queryset = queryset.select_related(*page.related)
        if page.prefetch:
            queryset = queryset.prefetch_related(*page.prefetch)
        if page.annotate:
            queryset = queryset.annotate(**page.annotate)
        key = self.sort_key()
        if not key:
            return queryset
        column = next(column for column in page.columns if column.key == key.removeprefix("-"))
        direction = "-" if key.startswith("-") else ""
        return queryset.order_by(f"{direction}{column.sort}", f"{direction}id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        key = self.sort_key()
        context["sort"] = key
        context["page_query"] = urlencode({"sort": key}) if key else ""
        context["columns"] = [
            {
                "column": column,
                "sorted": key.removeprefix("-") == column.key,
                "descending": key.startswith("-"),
                # A click on the sorted column turns the order round.
                "url": "?" + urlencode({"sort": f"-{column.key}" if key == column.key else column.key}),
            }
            for column in self.page.columns
        ]
        return context


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
