"""On PostgreSQL, the insert of a change wakes the idle workers (NOTIFY at commit) without a round trip of its own.

Only the first change waiting for the relay notifies: while older ones wait,
their commit has woken the workers already (and every worker relays the
changes between tasks, core/management/commands/worker.py). The channel is
core.tasks.WAKE_CHANNEL, written out: a migration does not follow the code.
"""

from django.db import migrations

CREATE = [
    """
CREATE FUNCTION core_change_wake_workers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM core_change WHERE id < (SELECT min(id) FROM recorded)) THEN
        PERFORM pg_notify('openevent_tasks', '');
    END IF;
    RETURN NULL;
END
$$
""",
    "CREATE TRIGGER core_change_wake_workers AFTER INSERT ON core_change REFERENCING NEW TABLE AS recorded "
    "FOR EACH STATEMENT EXECUTE FUNCTION core_change_wake_workers()",
]
DROP = [
    "DROP TRIGGER IF EXISTS core_change_wake_workers ON core_change",
    "DROP FUNCTION IF EXISTS core_change_wake_workers()",
]


def on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_change_outbox"),
    ]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP), elidable=False)]
