from rest_framework import serializers

from core.serializers import EventOwnedSerializer

from .models import Ticket
from .orders.stock import check_quantity


class TicketSerializer(EventOwnedSerializer):
    # The link that sells a hidden ticket is the team's.
    private_fields = {"secret_link": ("read", "ticket")}

    price_label = serializers.CharField(read_only=True)
    secret_link = serializers.SerializerMethodField(
        help_text="The public page offering this ticket even while hidden; only for those who may read tickets."
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "type",
            "name",
            "description",
            "price",
            "min_price",
            "price_label",
            "quantity",
            "sales_starts_at",
            "sales_ends_at",
            "min_order",
            "max_order",
            "hidden",
            "secret_link",
            "position",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]

    def get_secret_link(self, ticket) -> str:
        ticket.event = self.context["event"]  # the link needs the slug: no query per row
        return ticket.secret_link

    def validate_quantity(self, value):
        # The update runs in one transaction (core.conditional): the row stays locked until it is stored.
        check_quantity(self.instance, value)
        return value
