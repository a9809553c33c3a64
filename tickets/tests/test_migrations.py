"""Tickets that existed before orders each get a secret of their own (the field's default is drawn once)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from events.models import Event

BEFORE = [("tickets", "0001_initial")]
AFTER = [("tickets", "0002_orders")]


@pytest.mark.django_db(transaction=True)
def test_existing_tickets_get_distinct_secrets():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    starts = timezone.now()
    # The events app stays migrated (its table is today's); the tickets table is as 0001 left it.
    event = Event.objects.create(name="Old", slug="old", starts_at=starts, ends_at=starts + timedelta(days=1))
    ticket = executor.loader.project_state(BEFORE).apps.get_model("tickets", "Ticket")
    ticket.objects.bulk_create([ticket(event_id=event.pk, name=f"Old {n}") for n in range(3)])

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    secrets = list(new.get_model("tickets", "Ticket").objects.values_list("secret", flat=True))
    assert (len(secrets), len(set(secrets)), min(map(len, secrets))) == (3, 3, 22)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)
