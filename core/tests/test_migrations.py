"""Moving VersionCounter from the project package to core keeps every counter of an existing database."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.models import VersionCounter

BEFORE_THE_MOVE = [("core", None), ("eventsite", "0002_versioncounter")]


@pytest.mark.django_db(transaction=True)
def test_counters_written_before_the_move_are_there_after_it():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE_THE_MOVE)
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO eventsite_versioncounter (key, value) VALUES (%s, %s)",
            [("event.7.tracks", 12), ("user.3.notifications", 40)],
        )
    assert "core_versioncounter" not in connection.introspection.table_names()

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)

    tables = connection.introspection.table_names()
    assert ("core_versioncounter" in tables, "eventsite_versioncounter" in tables) == (True, False)
    # site.all.matrix was there before: seeding the matrix for the test moved it.
    assert dict(VersionCounter.objects.exclude(key="site.all.matrix").values_list("key", "value")) == {
        "event.7.tracks": 12,
        "user.3.notifications": 40,
    }
