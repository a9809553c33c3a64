"""The roles of an event at /api/v1/events/{event_pk}/roles/, guarded by the service "team" of the matrix."""

from django.core.exceptions import ValidationError
from rest_framework.exceptions import ValidationError as APIValidationError

from . import services
from .drf import EventScopedViewSet
from .models import EventRole
from .serializers import EventRoleSerializer


def _as_api_error(error):
    return APIValidationError(
        error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
    )


class EventRoleViewSet(EventScopedViewSet):
    service, model = "team", EventRole
    serializer_class = EventRoleSerializer
    public_read = False
    filterset_fields = ["role__name", "user"]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        return super().get_queryset().select_related("user", "role").prefetch_related("tracks").order_by("id")

    def _call(self, action):
        try:
            return action()
        except ValidationError as error:
            raise _as_api_error(error) from error

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = self.created_instance = self._call(
            lambda: services.grant_role(
                user=data["user"],
                event=self.event,
                role_name=data["role"]["name"],
                granted_by=self.request.user,
                tracks=data.get("tracks", []),
            )
        )

    def perform_update(self, serializer):
        instance, data = serializer.instance, serializer.validated_data
        role_name = data.get("role", {}).get("name", instance.role.name)
        tracks = data["tracks"] if "tracks" in data else list(instance.tracks.all())
        serializer.instance = self._call(
            lambda: services.change_role(
                event_role=instance, role_name=role_name, changed_by=self.request.user, tracks=tracks
            )
        )

    def perform_destroy(self, instance):
        self._call(lambda: services.remove_role(event_role=instance, removed_by=self.request.user))
