"""Orders API: /api/v1/events/{event_pk}/orders/, checked against the service "order".

Orders are never public: reading needs the read grant. POST places an order
through the same service as the public checkout (for the box office or an
integration; hidden tickets included) and honours Idempotency-Key; PATCH
``{"status": "paid"}`` or ``{"status": "cancelled"}`` changes its status;
DELETE removes a cancelled or expired order.
"""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api import Conflict, FilterSet, UtcIsoDateTimeFilter
from core.idempotency import idempotent
from core.versioning import forget_loaded_counters
from permissions.drf import EventScopedViewSet

from .models import Order, OrderPosition
from .serializers import OrderCreateSerializer, OrderSerializer, OrderStatusSerializer, SoldOutSerializer
from .services import (
    Line,
    OrderRejected,
    OrderStateError,
    SoldOut,
    cancel_order,
    delete_order,
    expire_overdue,
    mark_paid,
    place_order,
)


class OrderFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=Order.STATUSES)
    ticket = django_filters.NumberFilter(method="filter_ticket", help_text="Orders with a position of this ticket.")
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")
    code = django_filters.CharFilter(field_name="code", lookup_expr="iexact")
    modified_since = UtcIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="Orders changed at or after this time (ISO 8601)."
    )

    class Meta:
        model = Order
        fields = []

    def filter_ticket(self, queryset, name, value):
        if value != value.to_integral_value() or not 0 < value < 2**63:
            return queryset.none()
        ticket_ids = OrderPosition.objects.filter(ticket_id=int(value)).values("order_id")
        return queryset.filter(pk__in=ticket_ids)


def problems_to_errors(problems):
    """Return the service's problems as field errors shaped like DRF's: ``{"positions": {"0": {"price": [...]}}}``."""
    errors = {}
    for problem in problems:
        field = problem.field or "non_field_errors"
        if problem.position is not None:
            position = errors.setdefault("positions", {}).setdefault(str(problem.position), {})
            position.setdefault(field, []).append(problem.message)
        else:
            errors.setdefault(field, []).append(problem.message)
    return errors


def sold_out_body(error):
    return {"code": "sold_out", "ticket": error.ticket.pk, "left": error.left, "detail": error.message}


class OrderViewSet(EventScopedViewSet):
    """Orders of an event, with their positions. Filters: status, ticket, email, code, modified_since."""

    service, model = "order", Order
    public_read = False
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    ordering_fields = ["created_at", "updated_at", "code", "total", "id"]
    # Sold out, or a status that does not allow the change (paying a cancelled order, deleting a paid one).
    extra_write_errors = (409,)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("positions")

    def get_serializer_class(self):
        if self.action == "partial_update":
            return OrderStatusSerializer
        return OrderSerializer

    def handle_exception(self, exc):
        # Raised by the services inside the request's transaction (rolled back by now).
        if isinstance(exc, SoldOut):
            return Response(sold_out_body(exc), status=status.HTTP_409_CONFLICT)
        if isinstance(exc, OrderStateError):
            exc = Conflict(exc.message)
        return super().handle_exception(exc)

    def list(self, request, *args, **kwargs):
        # Before the ETag is made: storing "expired" moves the counter the ETag reads (read again, then,
        # not taken from the event's row).
        if expire_overdue(event=self.event):
            forget_loaded_counters(self.event)
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        expire_overdue(event=self.event)
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderSerializer, 409: SoldOutSerializer})
    @idempotent
    def create(self, request, *args, **kwargs):
        """Place an order: prices come from the tickets; 409 with the ticket when one has too few left."""
        data = OrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lines = [
            Line(
                ticket_id=position["ticket"],
                attendee_name=position["attendee_name"],
                attendee_email=position.get("attendee_email", ""),
                price=position.get("price"),
            )
            for position in data.validated_data["positions"]
        ]
        try:
            placed = place_order(
                event=self.event,
                name=data.validated_data["name"],
                email=data.validated_data["email"],
                lines=lines,
                sells_hidden=True,
                placed_by=request.user,
            )
        except OrderRejected as error:
            raise ValidationError(problems_to_errors(error.problems)) from error
        order = placed.order
        response = Response(self.get_serializer(order).data, status=status.HTTP_201_CREATED)
        response["ETag"] = self.object_etag(order)
        return response

    @extend_schema(request=OrderStatusSerializer, responses=OrderSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Mark the order paid ({"status": "paid"}) or cancel it ({"status": "cancelled"})."""
        return super().partial_update(request, *args, **kwargs)

    def perform_update(self, serializer):
        order = serializer.instance
        if serializer.validated_data["status"] == Order.PAID:
            serializer.instance = mark_paid(order=order)
        else:
            cancel_order(order=order)
            order.refresh_from_db()

    def perform_destroy(self, instance):
        delete_order(order=instance)
