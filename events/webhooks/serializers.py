"""What the webhooks API reads and writes. The services decide; these give the same errors early, by field."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from core.serializers import RefuseUnknownFieldsMixin

from . import signing
from .kinds import CHOICES, unknown
from .models import Webhook, WebhookDelivery
from .targets import check_url

ROTATE_INSTEAD = "The secret changes only through POST .../rotate-secret/ (the old one signs along for 24 hours)."


def _django_errors(function, value):
    try:
        return function(value)
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.messages) from None


class KindsField(serializers.ListField):
    child = serializers.CharField(max_length=40)

    def to_internal_value(self, data):
        kinds = super().to_internal_value(data)
        wrong = unknown(kinds)
        if wrong:
            raise serializers.ValidationError(f"Unknown kind of change: {', '.join(wrong)}.")
        if not kinds:
            raise serializers.ValidationError("Choose at least one kind of change.")
        return list(dict.fromkeys(kinds))


class WebhookSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    """A webhook: where the event's changes of the chosen kinds are POSTed, signed with its secret."""

    url = serializers.CharField(
        max_length=500, help_text="Where deliveries are POSTed: an http(s) URL on the internet."
    )
    kinds = KindsField(help_text="Kinds of change to deliver: " + ", ".join(kind for kind, _label in CHOICES) + ".")
    secret = serializers.CharField(
        write_only=True,
        required=False,
        help_text="Your own signing secret (whsec_ + base64 of 24 to 64 bytes); one is made when left out.",
    )
    created_by = serializers.EmailField(source="created_by.email", read_only=True, default=None)
    unknown_field_messages = {"secret": ROTATE_INSTEAD}
    shows_secret = False

    class Meta:
        model = Webhook
        fields = [
            "id",
            "url",
            "description",
            "kinds",
            "active",
            "secret",
            "disabled_reason",
            "created_by",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["disabled_reason", "created_at", "updated_at", "version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None and not self.shows_secret:
            # The secret is set when the webhook is made and rotated afterwards, never changed by PATCH.
            self.fields.pop("secret")

    def validate_url(self, value):
        return _django_errors(check_url, value)

    def validate_secret(self, value):
        _django_errors(signing.secret_bytes, value)
        return value


class WebhookCreatedSerializer(WebhookSerializer):
    """A new webhook, with its signing secret: shown this once."""

    secret = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The signing secret; it is not shown again (null in an Idempotency-Key replay).",
    )
    shows_secret = True


class SecretSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    """A rotation: your own new secret, or none to get a fresh one."""

    secret = serializers.CharField(required=False, write_only=True)

    def validate_secret(self, value):
        _django_errors(signing.secret_bytes, value)
        return value


class RotatedSerializer(serializers.Serializer):
    secret = serializers.CharField(
        allow_null=True, help_text="The new signing secret; it is not shown again (null in an Idempotency-Key replay)."
    )
    previous_secret_expires_at = serializers.DateTimeField(help_text="Until then the old secret signs too.")


class DeliverySerializer(serializers.ModelSerializer):
    """One attempt to deliver one message: what was sent, when, and what the receiver answered."""

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "message_id",
            "kind",
            "attempt",
            "manual",
            "state",
            "scheduled_at",
            "started_at",
            "duration_ms",
            "status_code",
            "error",
            "response_excerpt",
            "body",
            "created_at",
        ]
        read_only_fields = fields
