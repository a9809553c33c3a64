"""The matrix in Django admin (only the super admin edits it), the team through its services, and the
base of every admin of an event's objects (the engine decides, on the event an object comes from and goes to).
"""

from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect

from . import services
from .engine import permissions_for
from .models import EventRole, Role, RoleInvite, RolePermission
from .names import CREATE, DELETE, READ, UPDATE

MOVED_OUT_OF_REACH = "You may not put objects into this event."


class SuperuserEditsMixin:
    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_add_permission = has_delete_permission = lambda self, request, obj=None: False

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff


class RolePermissionInline(SuperuserEditsMixin, admin.TabularInline):
    model = RolePermission
    fields = ["service", "can_create", "can_read", "can_update", "can_delete"]
    readonly_fields = ["service"]
    extra = 0


@admin.register(Role)
class RoleAdmin(SuperuserEditsMixin, admin.ModelAdmin):
    """One page per role with its row of the matrix; a change applies from the next request."""

    list_display = ["name"]
    readonly_fields = ["name"]
    inlines = [RolePermissionInline]


@admin.register(RolePermission)
class RolePermissionAdmin(SuperuserEditsMixin, admin.ModelAdmin):
    list_display = ["role", "service", "can_create", "can_read", "can_update", "can_delete"]
    list_editable = ["can_create", "can_read", "can_update", "can_delete"]
    list_filter = ["role", "service"]
    readonly_fields = ["role", "service"]


class EventScopedAdmin(admin.ModelAdmin):
    """Base of the admin of an event's objects: staff read everything, changes need the engine's yes.

    The engine is asked on the event the object belongs to and, when the
    form moves it (or creates it) in an event, on that event too.
    """

    service = "event"
    event_field = "event"

    def event_id_of(self, obj):
        return getattr(obj, f"{self.event_field}_id")

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

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if self.event_field not in form.base_fields:
            return form
        operation, service, field = (CREATE if obj is None else UPDATE), self.service, self.event_field

        class TargetEventChecked(form):
            def clean(self):
                cleaned = super().clean()
                target = cleaned.get(field)
                if target is not None and not permissions_for(request.user, target.pk).can(
                    operation, service, anywhere=True
                ):
                    self.add_error(field, MOVED_OUT_OF_REACH)
                return cleaned

        return TargetEventChecked


@admin.register(EventRole)
class EventRoleAdmin(EventScopedAdmin):
    """Roles change and go through the team's services (the last organizer stays); people join by invite."""

    service = "team"
    list_display = ["user", "event", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "event__name"]
    fields = ["user", "event", "role", "tracks"]
    readonly_fields = ["user", "event"]
    filter_horizontal = ["tracks"]
    actions = ["delete_selected_through_service"]

    def has_add_permission(self, request, obj=None):
        return False  # a role is granted by accepting an invite (team page or API)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # Django's bulk delete would skip the last-organizer rule
        return actions

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class ServiceChecked(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                if "tracks" in self.fields:  # the event's own tracks, not every track of the site
                    tracks = self.fields["tracks"]
                    tracks.queryset = tracks.queryset.filter(event_id=self.instance.event_id)

            def clean(self):
                cleaned = super().clean()
                if self.instance.pk and cleaned.get("role") is not None:
                    try:
                        services.check_role_change(
                            event_role=self.instance,
                            role_name=cleaned["role"].name,
                            tracks=cleaned.get("tracks") or [],
                        )
                    except ValidationError as error:
                        self.add_error(None, error)
                return cleaned

        return ServiceChecked

    def save_model(self, request, obj, form, change):
        services.change_role(
            event_role=EventRole.objects.get(pk=obj.pk),
            role_name=form.cleaned_data["role"].name,
            changed_by=request.user,
            tracks=form.cleaned_data.get("tracks") or [],
        )

    def save_related(self, request, form, formsets, change):
        pass  # change_role() has set the tracks

    def delete_view(self, request, object_id, extra_context=None):
        try:
            with transaction.atomic():
                return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.path.removesuffix("delete/") + "change/")

    def delete_model(self, request, obj):
        services.remove_role(event_role=obj, removed_by=request.user)

    @admin.action(description="Remove the selected roles (keeps one organizer per event)", permissions=["delete"])
    def delete_selected_through_service(self, request, queryset):
        removed = 0
        for event_role in queryset.select_related("role", "event"):
            try:
                services.remove_role(event_role=event_role, removed_by=request.user)
                removed += 1
            except ValidationError as error:
                self.message_user(request, f"{event_role}: {' '.join(error.messages)}", messages.ERROR)
        if removed:
            self.message_user(request, f"Removed {removed} role(s).", messages.SUCCESS)


@admin.register(RoleInvite)
class RoleInviteAdmin(EventScopedAdmin):
    """Invites are read here and cancelled through the service; they are made on the team page or the API."""

    service = "team"
    list_display = ["email", "event", "role", "state", "created_at", "expires_at"]
    list_filter = ["state", "role"]
    search_fields = ["email", "event__name"]
    actions = ["cancel_selected"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Cancel the selected pending invitations", permissions=["delete"])
    def cancel_selected(self, request, queryset):
        cancelled = sum(
            services.cancel_invite(role_invite=role_invite, cancelled_by=request.user) for role_invite in queryset
        )
        self.message_user(request, f"Cancelled {cancelled} invitation(s).", messages.SUCCESS)
