from django.apps import apps
from rest_framework import serializers

from core.serializers import ManyIdsField, ModelSerializer

from .models import EventRole, RoleInvite
from .names import ROLES


class EventRoleSerializer(ModelSerializer):
    """A member of the team. People join by invite (``invites/``); here a role is changed or removed."""

    user = serializers.IntegerField(source="user_id", read_only=True)
    user_email = serializers.EmailField(source="user.email", read_only=True)
    role = serializers.ChoiceField(choices=ROLES, source="role.name")
    tracks = ManyIdsField(
        child_relation=serializers.PrimaryKeyRelatedField(queryset=EventRole.tracks.rel.model.objects), required=False
    )

    class Meta:
        model = EventRole
        fields = ["id", "user", "user_email", "role", "tracks", "version", "created_at"]
        read_only_fields = ["version", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        track_model = apps.get_model("events", "Track")
        self.fields["tracks"].child_relation.queryset = track_model.objects.filter(event=self.context.get("event"))


class RoleInviteSerializer(ModelSerializer):
    """An invitation to the team: the invitee accepts it (with a verified address) or declines it."""

    role = serializers.ChoiceField(choices=ROLES, source="role.name")
    invited_by = serializers.EmailField(source="invited_by.email", read_only=True, default=None)

    class Meta:
        model = RoleInvite
        fields = ["id", "email", "role", "state", "invited_by", "created_at", "expires_at", "version"]
        read_only_fields = ["state", "created_at", "expires_at", "version"]
