from django.apps import apps
from django.contrib.auth import get_user_model
from rest_framework import serializers

from core.serializers import ModelSerializer

from .models import EventRole
from .names import ROLES


class EventRoleSerializer(ModelSerializer):
    email = serializers.EmailField(write_only=True, required=False, help_text="Whom to add (an existing account).")
    user = serializers.IntegerField(source="user_id", read_only=True)
    user_email = serializers.EmailField(source="user.email", read_only=True)
    role = serializers.ChoiceField(choices=ROLES, source="role.name")
    tracks = serializers.PrimaryKeyRelatedField(many=True, required=False, queryset=EventRole.tracks.rel.model.objects)

    class Meta:
        model = EventRole
        fields = ["id", "user", "user_email", "email", "role", "tracks", "created_at"]
        read_only_fields = ["created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        track_model = apps.get_model("events", "Track")
        self.fields["tracks"].child_relation.queryset = track_model.objects.filter(event=self.context.get("event"))

    def validate(self, attrs):
        if self.instance is None:
            email = attrs.get("email")
            if not email:
                raise serializers.ValidationError({"email": "This field is required."})
            user = get_user_model()._default_manager.filter(email__iexact=email).first()
            if user is None:
                raise serializers.ValidationError(
                    {"email": "No account uses this email; invite the person from the event's team page."}
                )
            attrs["user"] = user
        return attrs
