"""/api/v1/notifications/: your own notifications, with ETags from the user's notifications counter."""

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.response import Response

from core.api import BooleanFilter, FilterSet, UtcIsoDateTimeFilter
from core.conditional import ConditionalListMixin, ConditionalRetrieveMixin, make_etag
from core.idempotency import idempotent
from core.versioning import read_counters

from . import services
from .models import Notification
from .queries import unread_of
from .serializers import MarkedReadSerializer, NotificationSerializer, UnreadCountSerializer


class NotificationFilter(FilterSet):
    unread = BooleanFilter(method="filter_unread", label="Only unread (true) or only read (false)")

    modified_since = UtcIsoDateTimeFilter(
        method="filter_modified_since", help_text="Only notifications received or read at or after this time."
    )

    class Meta:
        model = Notification
        fields = ["unread", "action"]

    def filter_modified_since(self, queryset, name, value):
        return queryset.filter(Q(received_at__gte=value) | Q(read_at__gte=value))

    def filter_unread(self, queryset, name, value):
        return queryset.filter(has_read=not value)


class NotificationViewSet(
    ConditionalListMixin, ConditionalRetrieveMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """Your notifications, newest first. Someone else's notification is a 404."""

    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = NotificationFilter
    ordering_fields = ["received_at", "id"]
    ordering = ["-received_at", "-id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Notification.objects.none()
        return Notification.objects.filter(user=self.request.user)

    def counter_value(self):
        key = services.notifications_counter(self.request.user.pk)
        return read_counters([key])[key]

    def etag_variant(self):
        return ("user", self.request.user.pk)

    def list_etag_parts(self):
        return (self.counter_value(),)

    def object_etag_parts(self, obj):
        return ("Notification", obj.pk, obj.has_read)

    @extend_schema(exclude=True)
    def create(self, request, *args, **kwargs):
        raise MethodNotAllowed(request.method)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def read(self, request, pk=None):
        """Mark one of your notifications read (idempotent) and return it."""
        notification = self.get_object()
        services.mark_read(user=request.user, ids=[notification.pk])
        notification.refresh_from_db(fields=["has_read", "read_at"])
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses=MarkedReadSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    @idempotent
    def read_all(self, request):
        """Mark all your notifications read."""
        marked = services.mark_all_read(user=request.user)
        body = {"marked": marked, "unread_count": unread_of(request.user).count()}
        return Response(MarkedReadSerializer(body).data)

    @extend_schema(responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        """Return how many of your notifications are unread; 304 on a matching If-None-Match."""
        etag = make_etag("unread-count", self.counter_value(), self.etag_variant())
        produce = lambda: Response(UnreadCountSerializer({"unread_count": unread_of(request.user).count()}).data)  # noqa: E731
        return self._conditional(etag, produce)
