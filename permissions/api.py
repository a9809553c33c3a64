"""The roles of an event at /api/v1/events/{event_pk}/roles/."""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from rest_framework import permissions, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as APIValidationError

from eventsite.conditional import ConditionalMixin
from eventsite.versioning import counter_key, read_counters

from . import services
from .drf import EventScopedViewMixin
from .engine import permissions_for
from .models import EventRole
from .names import READ
from .serializers import EventRoleSerializer


class ManageRolesPermission(permissions.BasePermission):
    """Team members may list the team; only organizers and the super admin change it."""

    def has_permission(self, request, view):
        perms = permissions_for(request.user, view.event_id)
        if not (request.user.is_authenticated and perms.exists and perms.can(READ, "event")):
            raise Http404("No such event.")
        if request.method in permissions.SAFE_METHODS:
            return True
        return perms.can_manage_roles


class EventRoleViewSet(ConditionalMixin, EventScopedViewMixin, viewsets.ModelViewSet):
    serializer_class = EventRoleSerializer
    permission_classes = [ManageRolesPermission]
    public_read = False
    filterset_fields = ["role__name", "user"]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        if self.for_schema_only:
            return EventRole.objects.none()
        return (
            EventRole.objects.filter(event_id=self.event_id)
            .select_related("user", "role")
            .prefetch_related("tracks")
            .order_by("id")
        )

    def get_serializer_context(self):
        if self.for_schema_only:
            return super().get_serializer_context()
        return {**super().get_serializer_context(), "event_id": self.event_id}

    def list_etag_parts(self):
        return tuple(read_counters([counter_key("event", self.event_id, "roles")]).values())

    def object_etag_parts(self, obj):
        # EventRole rows carry no version column; the event's roles counter stands for them.
        return ("EventRole", obj.pk, *self.list_etag_parts())

    def _save(self, action):
        try:
            with transaction.atomic():
                return action()
        except ValidationError as error:
            raise APIValidationError(
                error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
            ) from error

    def perform_create(self, serializer):
        event = apps.get_model("events", "Event").objects.get(pk=self.event_id)
        data = serializer.validated_data
        if EventRole.objects.filter(event=event, user=data["user"], role__name=data["role"]["name"]).exists():
            raise APIValidationError({"role": "This person already holds that role in the event."})
        serializer.instance = self.created_instance = self._save(
            lambda: services.grant_role(
                user=data["user"],
                event=event,
                role_name=data["role"]["name"],
                granted_by=self.request.user,
                tracks=data.get("tracks", []),
            )
        )

    def update(self, request, *args, **kwargs):
        if not self.event_permissions.can_manage_roles:
            raise PermissionDenied()
        return super().update(request, *args, **kwargs)

    def perform_update(self, serializer):
        instance, data = serializer.instance, serializer.validated_data
        role_name = data.get("role", {}).get("name", instance.role.name)
        tracks = data["tracks"] if "tracks" in data else list(instance.tracks.all())
        serializer.instance = self._save(
            lambda: services.change_role(
                event_role=instance, role_name=role_name, changed_by=self.request.user, tracks=tracks
            )
        )

    def perform_destroy(self, instance):
        self._save(lambda: services.remove_role(event_role=instance, removed_by=self.request.user))
