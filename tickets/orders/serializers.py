"""What the orders API reads and writes: an order with its positions; a new order; a change of status."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from core.links import absolute_url
from core.serializers import ModelSerializer, RefuseUnknownFieldsMixin

from .models import Order, OrderPosition

PRICE_FROM_SERVER = "Prices come from the event's tickets; send a price only for a donation ticket's position."
SET_BY_SERVER = {"total": PRICE_FROM_SERVER, "price": PRICE_FROM_SERVER}


class PositionSerializer(ModelSerializer):
    # Optional: an empty string when not given (so not typed as an email address).
    attendee_email = serializers.CharField(read_only=True)

    class Meta:
        model = OrderPosition
        fields = ["id", "ticket", "price", "attendee_name", "attendee_email", "secret"]
        read_only_fields = fields


class OrderSerializer(ModelSerializer):
    positions = PositionSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField(help_text="The buyer's order page (it holds the order's secret).")

    class Meta:
        model = Order
        fields = [
            "id",
            "code",
            "status",
            "name",
            "email",
            "total",
            "expires_at",
            "paid_at",
            "cancelled_at",
            "url",
            "positions",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, order) -> str:
        order.event = self.context["event"]
        return absolute_url(order.get_absolute_url())


class PositionInputSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    attendee_name = serializers.CharField(max_length=200)
    attendee_email = serializers.EmailField(required=False, allow_blank=True)
    price = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="The amount given for a donation ticket (at least its minimum); other tickets take no price.",
    )


class OrderCreateSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    """POST body of a new order. The server sets prices, total, status and deadline."""

    unknown_field_messages = {**SET_BY_SERVER, "status": "Set by the server: free orders are paid at once."}

    name = serializers.CharField(max_length=200)
    email = serializers.EmailField()
    positions = PositionInputSerializer(many=True, allow_empty=False, max_length=100)


class OrderStatusSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    """PATCH body: mark the order paid, or cancel it. The answer is the whole order."""

    unknown_field_messages = SET_BY_SERVER

    status = serializers.ChoiceField(choices=[(Order.PAID, "Paid"), (Order.CANCELLED, "Cancelled")])

    def validate(self, attrs):
        if "status" not in attrs:  # PATCH is partial, yet the status is what it changes
            raise serializers.ValidationError({"status": ["This field is required."]})
        return attrs

    def to_representation(self, instance):
        return OrderSerializer(instance, context=self.context).data


SoldOutSerializer = inline_serializer(
    "SoldOut",
    {
        "code": serializers.CharField(help_text='"sold_out"'),
        "ticket": serializers.IntegerField(help_text="The ticket that has fewer left than asked for."),
        "left": serializers.IntegerField(),
        "detail": serializers.CharField(),
    },
)
