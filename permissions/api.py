"""The roles of an event at /api/v1/events/{event_pk}/roles/, guarded by the service "team" of the matrix."""

from django.core.exceptions import ValidationError
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.throttling import ScopedRateThrottle

from . import services
from .drf import EventScopedViewSet
from .models import EventRole, RoleInvite
from .serializers import EventRoleSerializer, RoleInviteSerializer


def _as_api_error(error):
    return APIValidationError(
        error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
    )


def _call(action):
    try:
        return action()
    except ValidationError as error:
        raise _as_api_error(error) from error


class EventRoleViewSet(EventScopedViewSet):
    """The team of an event: change or remove a role here; people join by accepting an invite (``invites/``)."""

    service, model = "team", EventRole
    serializer_class = EventRoleSerializer
    public_read = False
    # No POST: a role is never granted directly, only by the invitee's own acceptance.
    http_method_names = ["get", "put", "patch", "delete", "head", "options"]
    filterset_fields = ["role__name", "user"]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        return super().get_queryset().select_related("user", "role").prefetch_related("tracks").order_by("id")

    def perform_update(self, serializer):
        instance, data = serializer.instance, serializer.validated_data
        role_name = data.get("role", {}).get("name", instance.role.name)
        tracks = data["tracks"] if "tracks" in data else list(instance.tracks.all())
        serializer.instance = _call(
            lambda: services.change_role(
                event_role=instance, role_name=role_name, changed_by=self.request.user, tracks=tracks
            )
        )

    def perform_destroy(self, instance):
        _call(lambda: services.remove_role(event_role=instance, removed_by=self.request.user))


class RoleInviteViewSet(EventScopedViewSet):
    """Invitations to the team: create one (the invitee gets a notification, or an email with a sign-up link),
    list them, cancel a pending one (DELETE). The answer is the same whether the address has an account or not.
    """

    service, model = "team", RoleInvite
    serializer_class = RoleInviteSerializer
    public_read = False
    http_method_names = ["get", "post", "delete", "head", "options"]
    filterset_fields = ["state", "role__name"]
    ordering_fields = ["created_at", "id"]

    throttle_scope = "invites"

    def get_throttles(self):
        # Each invite may send an email: creating them is throttled per user, reading them is not.
        return [ScopedRateThrottle()] if self.action == "create" else []

    def get_queryset(self):
        return super().get_queryset().select_related("role", "invited_by").order_by("-created_at", "-id")

    def perform_create(self, serializer):
        data = serializer.validated_data
        role_invite, _token = _call(
            lambda: services.invite(
                event=self.event, email=data["email"], role_name=data["role"]["name"], invited_by=self.request.user
            )
        )
        serializer.instance = self.created_instance = role_invite

    def perform_destroy(self, instance):
        services.cancel_invite(role_invite=instance, cancelled_by=self.request.user)
