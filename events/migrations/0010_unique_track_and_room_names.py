"""Track and room names used once per event, ignoring case, as ticket names are.

Two tracks or rooms of one event could share a name: the schedule, its filters and the frab feeds (which
name a room by its name) could not tell them apart. Before the constraint, the later rows of a name are
renamed "Name (2)", "Name (3)", ... (the first keeps it), each with its version and its list's counter raised
so that ETags held by clients move.
"""

from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Lower

from core.counters import counter_key, increment

MAX_LENGTH = 200


def free_name(name, taken):
    """``name`` with the first " (n)" that no name in ``taken`` (lower case) has, within the column's length."""
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = name[: MAX_LENGTH - len(suffix)] + suffix
        if candidate.lower() not in taken:
            return candidate
        number += 1


def rename_duplicates(apps, schema_editor):
    using = schema_editor.connection.alias
    for model_name, resource in (("Track", "tracks"), ("Microlocation", "microlocations")):
        model = apps.get_model("events", model_name)
        rows = list(
            model.objects.using(using)
            .annotate(lower=Lower("name"))
            .order_by("id")
            .values_list("id", "event_id", "name", "lower")
        )
        # Every name an event has, so that a new name takes none of them ("Main (2)" may exist already).
        taken = {}
        for _pk, event_id, name, lower in rows:
            taken.setdefault(event_id, set()).update({lower, name.lower()})
        seen, renamed = set(), []
        for pk, event_id, name, lower in rows:
            if (event_id, lower) in seen:
                new_name = free_name(name, taken[event_id])
                taken[event_id].add(new_name.lower())
                renamed.append((pk, event_id, new_name))
            seen.add((event_id, lower))
        for pk, _event_id, new_name in renamed:
            model.objects.using(using).filter(pk=pk).update(name=new_name, version=F("version") + 1)
        increment({counter_key("event", event_id, resource) for _pk, event_id, _name in renamed}, using=using)


class Migration(migrations.Migration):
    dependencies = [("events", "0009_event_listing_indexes"), ("core", "0007_change_wakes_workers")]

    operations = [
        migrations.RunPython(rename_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="track",
            constraint=models.UniqueConstraint(
                Lower("name"),
                "event",
                name="track_unique_name_per_event",
                violation_error_message="Another track of this event has this name.",
            ),
        ),
        migrations.AddConstraint(
            model_name="microlocation",
            constraint=models.UniqueConstraint(
                Lower("name"),
                "event",
                name="room_unique_name_per_event",
                violation_error_message="Another room of this event has this name.",
            ),
        ),
    ]
