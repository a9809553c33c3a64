"""``manage.py expire_orders``: store "expired" on unpaid orders past their deadline (tidiness, not correctness)."""

from django.core.management.base import BaseCommand

from tickets.orders.services import expire_overdue


class Command(BaseCommand):
    help = (
        "Mark pending orders past their payment deadline expired. Their tickets are back on sale already "
        "(availability counts only unexpired orders) and pages mark them when read; this keeps lists tidy."
    )

    def handle(self, *args, **options):
        count = expire_overdue()
        self.stdout.write(f"Expired {count} order(s).")
