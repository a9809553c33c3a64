"""``manage.py forget_idempotency_keys``: delete the Idempotency-Key answers older than 24 hours (they are ignored)."""

from django.core.management.base import BaseCommand

from core.idempotency import forget_old_keys


class Command(BaseCommand):
    help = "Delete stored Idempotency-Key answers older than 24 hours (tidiness; they are ignored anyway)."

    def handle(self, *args, **options):
        deleted = forget_old_keys()
        self.stdout.write(f"Forgot {deleted} idempotency key(s).")
