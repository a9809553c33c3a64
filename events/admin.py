"""Events in Django admin, behind the same engine as every other door."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.versioning import StaleObjectError
from permissions.admin import EventScopedAdmin
from permissions.engine import permissions_for
from permissions.names import UPDATE

from . import services
from .forms import EventDetailsForm
from .models import Event, Microlocation, Session, Speaker, Sponsor, Track


class EventAdminForm(EventDetailsForm):
    """Every field of the event, its dates read as local times of its time zone (as the site's form reads them)."""

    class Meta(EventDetailsForm.Meta):
        fields = "__all__"
        widgets = {}  # the admin's own date and time pickers


@admin.register(Event)
class EventAdmin(EventScopedAdmin):
    """Events; the state changes only through the publish and unpublish actions (the services' rules apply)."""

    event_field = "id"
    # Times are read and shown in the event's own time zone, as on the site's pages (the admin's default is
    # the server's, UTC: an event at 10:00 in Berlin showed 9:00 and was easy to set an hour off).
    form = EventAdminForm
    list_display = ["name", "state", "starts", "created_by"]
    list_filter = ["state"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["state", "version", "created_at", "updated_at"]
    raw_id_fields = ["created_by"]  # a <select> would list every account of the site on each page
    actions = ["publish_selected", "unpublish_selected"]

    def event_id_of(self, obj):
        return obj.pk

    def get_object(self, request, object_id, from_field=None):
        event = getattr(request, "admin_event", None)
        if event is not None and from_field is None and str(event.pk) == object_id:
            return event
        return super().get_object(request, object_id, from_field)

    @admin.display(description="starts (the event's time)", ordering="starts_at")
    def starts(self, obj):
        return obj.local_time(obj.starts_at)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """The form reads and shows the event's times in its time zone (rendered before the zone is left)."""
        event = self.get_object(request, unquote(object_id)) if object_id else None
        request.admin_event = event  # Django's view asks get_object() for the same row: it is handed this one
        with timezone.override(event.timezone if event is not None else None):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()
        return response

    @admin.action(description="Publish the selected events (each needs a ticket)", permissions=["change"])
    def publish_selected(self, request, queryset):
        self._change_states(request, queryset, services.publish_event, "Published")

    @admin.action(description="Unpublish the selected events", permissions=["change"])
    def unpublish_selected(self, request, queryset):
        self._change_states(request, queryset, services.unpublish_event, "Unpublished")

    def _change_states(self, request, queryset, verb, done):
        changed = 0
        for event in queryset:
            if not permissions_for(request.user, event.pk).can(UPDATE, "event"):
                self.message_user(request, f"{event}: your role may not change this event.", messages.ERROR)
                continue
            try:
                verb(event=event, by=request.user)
                changed += 1
            except ValidationError as error:
                self.message_user(request, f"{event}: {' '.join(error.messages)}", messages.ERROR)
            except StaleObjectError as error:
                self.message_user(request, f"{event}: {error.user_message}", messages.ERROR)
        if changed:
            self.message_user(request, f"{done} {changed} event(s).", messages.SUCCESS)


class ServiceAdmin(EventScopedAdmin):
    list_select_related = ["event"]
    raw_id_fields = ["event"]
    readonly_fields = ["version"]


for model, columns in [
    (Track, ["name", "event"]),
    (Session, ["title", "state", "event", "starts_at"]),
    (Speaker, ["name", "event"]),
    (Sponsor, ["name", "level", "event"]),
    (Microlocation, ["name", "event"]),
]:
    admin.site.register(
        model, type(f"{model.__name__}Admin", (ServiceAdmin,), {"service": model.service, "list_display": columns})
    )

from .webhooks import admin as webhooks_admin  # noqa: E402, F401  (registers the webhooks admin)
