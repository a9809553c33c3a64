"""Events in Django admin, behind the same engine as every other door."""

from django.contrib import admin

from permissions.engine import permissions_for
from permissions.names import DELETE, READ, UPDATE

from .models import Event, Microlocation, Session, Speaker, Sponsor, Track


class EnginePermissionsMixin:
    """Staff see everything (the engine's read-all); changes need the engine's yes on the event."""

    service = "event"

    def event_id_of(self, obj):
        return obj.pk if isinstance(obj, Event) else obj.event_id

    def _can(self, request, operation, obj):
        if obj is None:
            return request.user.is_active and (request.user.is_superuser or operation == READ)
        return permissions_for(request.user, self.event_id_of(obj)).can(operation, self.service, anywhere=True)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff and self._can(request, READ, obj)

    def has_change_permission(self, request, obj=None):
        return self._can(request, UPDATE, obj) and (obj is not None or request.user.is_superuser)

    def has_delete_permission(self, request, obj=None):
        return self._can(request, DELETE, obj) and (obj is not None or request.user.is_superuser)

    def has_add_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(Event)
class EventAdmin(EnginePermissionsMixin, admin.ModelAdmin):
    list_display = ["name", "state", "starts_at", "created_by"]
    list_filter = ["state"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["version", "created_at", "updated_at"]


class ServiceAdmin(EnginePermissionsMixin, admin.ModelAdmin):
    list_select_related = ["event"]
    raw_id_fields = ["event"]
    readonly_fields = ["version"]


for model, service, columns in [
    (Track, "track", ["name", "event"]),
    (Session, "session", ["title", "event", "starts_at"]),
    (Speaker, "speaker", ["name", "event"]),
    (Sponsor, "sponsor", ["name", "level", "event"]),
    (Microlocation, "microlocation", ["name", "event"]),
]:
    admin.site.register(
        model, type(f"{model.__name__}Admin", (ServiceAdmin,), {"service": service, "list_display": columns})
    )
