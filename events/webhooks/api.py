"""/api/v1/events/{id}/webhooks/ and each webhook's delivery log, behind the one permission class ("webhook")."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import FilterSet, StrictQueryParametersMixin, UtcIsoDateTimeFilter
from core.idempotency import idempotent
from permissions.drf import EventScopedViewMixin, EventScopedViewSet, EventServicePermission
from permissions.names import UPDATE

from . import services
from .models import Webhook, WebhookDelivery
from .serializers import (
    DeliverySerializer,
    RotatedSerializer,
    SecretSerializer,
    WebhookCreatedSerializer,
    WebhookSerializer,
)


class WebhookViewSet(EventScopedViewSet):
    """The event's webhooks. A new one answers with its signing secret, shown that once."""

    service, model = "webhook", Webhook
    public_read = False
    serializer_class = WebhookSerializer
    operations = {"rotate_secret": UPDATE, "ping": UPDATE}
    filterset_fields = ["active"]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        return super().get_queryset().select_related("created_by")

    @extend_schema(responses={201: WebhookCreatedSerializer})
    @idempotent(secret_fields=("secret",))
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        webhook, secret = services.create_webhook(event=self.event, by=request.user, **serializer.validated_data)
        webhook.secret = secret
        self.created_instance = webhook
        response = Response(WebhookCreatedSerializer(webhook, context=self.get_serializer_context()).data, status=201)
        response["ETag"] = self.object_etag(webhook)
        return response

    def perform_update(self, serializer):
        services.update_webhook(webhook=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.delete_webhook(webhook=instance)

    @extend_schema(request=SecretSerializer, responses=RotatedSerializer, summary="Rotate the signing secret")
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    @idempotent(secret_fields=("secret",))
    def rotate_secret(self, request, pk=None, event_pk=None):
        """Give the webhook a new secret (yours, or a fresh one); the old one keeps signing for 24 hours."""
        webhook = self.get_object()
        serializer = SecretSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        secret = services.rotate_secret(webhook=webhook, secret=serializer.validated_data.get("secret"))
        body = {"secret": secret, "previous_secret_expires_at": webhook.previous_secret_expires_at}
        return Response(RotatedSerializer(body).data)

    @extend_schema(request=None, responses={202: DeliverySerializer}, summary="Send a test ping")
    @action(detail=True, methods=["post"])
    @idempotent
    def ping(self, request, pk=None, event_pk=None):
        """Queue a "ping" delivery (sent once, even while the webhook is off); see its outcome in the log."""
        delivery = services.send_ping(webhook=self.get_object())
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class DeliveryFilter(FilterSet):
    modified_since = UtcIsoDateTimeFilter(
        method="filter_modified_since", help_text="Only deliveries scheduled or attempted at or after this time."
    )

    class Meta:
        model = WebhookDelivery
        fields = ["state", "kind", "message_id"]

    def filter_modified_since(self, queryset, name, value):
        return queryset.filter(Q(scheduled_at__gte=value) | Q(started_at__gte=value))


@extend_schema_view(
    list=extend_schema(summary="List a webhook's deliveries"),
    retrieve=extend_schema(summary="Read one delivery of a webhook"),
)
class WebhookDeliveryViewSet(
    StrictQueryParametersMixin,
    EventScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """A webhook's delivery log: one row per attempt, newest first, kept 30 days."""

    service = "webhook"
    public_read = False
    permission_classes = [EventServicePermission]
    serializer_class = DeliverySerializer
    schema_tag = "webhooks"
    operations = {"redeliver": UPDATE}
    filterset_class = DeliveryFilter
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        if self.for_schema_only:
            return WebhookDelivery.objects.none()
        webhook = get_object_or_404(Webhook.objects.filter(event=self.event), pk=self.kwargs["webhook_pk"])
        return WebhookDelivery.objects.filter(webhook=webhook)

    @extend_schema(request=None, responses={202: DeliverySerializer}, summary="Deliver this message again")
    @action(detail=True, methods=["post"])
    @idempotent
    def redeliver(self, request, pk=None, event_pk=None, webhook_pk=None):
        """Queue the message again with the same webhook-id and body (sent once); see its outcome in the log."""
        delivery = services.redeliver(delivery=self.get_object())
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
