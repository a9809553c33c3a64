"""Events in Django admin, behind the same engine as every other door."""

from django.contrib import admin

from permissions.admin import EventScopedAdmin

from .models import Event, Microlocation, Session, Speaker, Sponsor, Track


@admin.register(Event)
class EventAdmin(EventScopedAdmin):
    event_field = "id"
    list_display = ["name", "state", "starts_at", "created_by"]
    list_filter = ["state"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["version", "created_at", "updated_at"]

    def event_id_of(self, obj):
        return obj.pk


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
