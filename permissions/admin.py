"""The matrix in Django admin: only the super admin edits it; staff may look."""

from django.contrib import admin

from .models import EventRole, Role, RoleInvite, RolePermission


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


@admin.register(EventRole)
class EventRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "event", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "event__name"]
    autocomplete_fields = ["user", "event"]
    filter_horizontal = ["tracks"]


@admin.register(RoleInvite)
class RoleInviteAdmin(admin.ModelAdmin):
    list_display = ["email", "event", "role", "state", "created_at", "expires_at"]
    list_filter = ["state", "role"]
    search_fields = ["email", "event__name"]
    readonly_fields = ["token_hash", "created_at", "responded_at"]
