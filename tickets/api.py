"""Tickets API: /api/v1/events/{event_pk}/tickets/, checked against the service "ticket"."""

from django.db import IntegrityError, transaction
from django.db.models import Max, RestrictedError

from core.api import Conflict
from permissions.drf import EventScopedViewSet
from permissions.names import READ

from .models import OrderPosition, Ticket
from .serializers import TicketSerializer


class TicketViewSet(EventScopedViewSet):
    """Tickets of an event. Hidden tickets only reach those who may read the event's tickets."""

    service, model = "ticket", Ticket
    serializer_class = TicketSerializer
    filterset_fields = ["type", "hidden"]
    ordering_fields = ["position", "name", "price", "id"]
    search_fields = ["name"]
    # A name taken by a concurrent writer, or deleting a ticket with orders, is a 409; the schema documents it.
    extra_write_errors = (409,)

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False) or self.sees_hidden():
            return queryset
        return queryset.filter(hidden=False)

    def sees_hidden(self):
        return self.event_permissions.can(READ, self.service, anywhere=True)

    def etag_variant(self):
        # Two readers of one list may see different rows: the ETag says which.
        return (*super().etag_variant(), "with-hidden" if self.sees_hidden() else "without-hidden")

    def perform_create(self, serializer):
        # New tickets go to the end of the list unless a position is given.
        if "position" not in serializer.validated_data:
            last = Ticket.objects.filter(event=self.event).aggregate(last=Max("position"))["last"]
            serializer.validated_data["position"] = 0 if last is None else last + 1
        try:
            with transaction.atomic():
                super().perform_create(serializer)
        except IntegrityError as error:
            raise Conflict("Another ticket of this event has this name.") from error

    def perform_destroy(self, instance):
        if OrderPosition.objects.filter(ticket=instance).exists():
            raise Conflict("This ticket has orders, so it cannot be deleted; hide it or end its sales instead.")
        try:
            with transaction.atomic():
                super().perform_destroy(instance)
        except RestrictedError as error:  # ordered between the check and the delete
            raise Conflict(
                "This ticket has orders, so it cannot be deleted; hide it or end its sales instead."
            ) from error

    def perform_update(self, serializer):
        try:
            with transaction.atomic():
                super().perform_update(serializer)
        except IntegrityError as error:
            raise Conflict("Another ticket of this event has this name.") from error
