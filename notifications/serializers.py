from rest_framework import serializers

from core.serializers import ModelSerializer

from .models import Notification


class NotificationSerializer(ModelSerializer):
    """One notification as the API returns it; the API never writes one directly."""

    class Meta:
        model = Notification
        fields = ["id", "title", "message", "action", "url", "received_at", "has_read", "read_at"]
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField(min_value=0)


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(min_value=0, help_text="How many notifications this request marked read.")
    unread_count = serializers.IntegerField(min_value=0)
