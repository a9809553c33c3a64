"""Track and room names are used once per event, ignoring case: on the pages, in the API, in the database.

Existing duplicates are renamed by the migration that adds the rule.
"""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.counters import read_counters
from core.names import check_unique_name
from events.models import Microlocation, Track
from events.tests.factories import EventFactory, MicrolocationFactory, TrackFactory

BEFORE = [("events", "0009_event_listing_indexes")]
AFTER = [("events", "0010_unique_track_and_room_names")]


@pytest.fixture
def event(db):
    return EventFactory()


@pytest.mark.parametrize(
    ("kind", "factory", "model", "message"),
    [
        ("tracks", TrackFactory, Track, "Another track of this event has this name."),
        ("microlocations", MicrolocationFactory, Microlocation, "Another room of this event has this name."),
    ],
)
def test_api_refuses_a_name_the_event_has_in_any_case(api_for, event, kind, factory, model, message):
    api = api_for(event.created_by)
    factory(event=event, name="Main Hall")
    other = factory(event=event, name="Workshops")
    # Another event's row of the same name is no obstacle.
    factory(event=EventFactory(), name="Lobby")
    url = f"/api/v1/events/{event.pk}/{kind}/"

    created = api.post(url, {"name": "main hall"}, format="json")
    renamed = api.patch(f"{url}{other.pk}/", {"name": "MAIN HALL"}, format="json")
    assert (created.status_code, created.json()) == (400, {"name": [message]})
    assert (renamed.status_code, renamed.json()) == (400, {"name": [message]})
    assert sorted(model.objects.filter(event=event).values_list("name", flat=True)) == ["Main Hall", "Workshops"]

    # A row keeps its own name under another case; a name free in this event is taken.
    assert api.patch(f"{url}{other.pk}/", {"name": "WORKSHOPS"}, format="json").status_code == 200
    assert api.post(url, {"name": "Lobby"}, format="json").status_code == 201


def test_api_gives_the_name_error_beside_the_models_own(api_for, event):
    api = api_for(event.created_by)
    TrackFactory(event=event, name="Main")
    response = api.post(f"/api/v1/events/{event.pk}/tracks/", {"name": "MAIN", "color": "red"}, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"color": ["Enter a colour as #RRGGBB."], "name": ["Another track of this event has this name."]},
    )


def test_api_patch_without_a_name_does_not_ask_about_it(api_for, event, django_assert_num_queries):
    api = api_for(event.created_by)
    track = TrackFactory(event=event, name="Main")
    with django_assert_num_queries(12) as captured:
        response = api.patch(f"/api/v1/events/{event.pk}/tracks/{track.pk}/", {"color": "#112233"}, format="json")
    assert (response.status_code, response.json()["color"]) == (200, "#112233")
    assert [query["sql"] for query in captured if "LOWER(" in query["sql"].upper()] == []


def test_page_refuses_a_taken_name_beside_the_field(client_for, event):
    organizer = client_for(event.created_by)
    TrackFactory(event=event, name="Main Hall")

    page = organizer.post(f"/events/{event.pk}/tracks/new/", {"name": " main hall ", "color": "#ff0000"})
    assert page.status_code == 200
    assert page.context["form"].errors == {"name": ["Another track of this event has this name."]}
    assert list(Track.objects.filter(event=event).values_list("name", flat=True)) == ["Main Hall"]

    room = MicrolocationFactory(event=event, name="Room A")
    MicrolocationFactory(event=event, name="Room B")
    page = organizer.post(f"/events/{event.pk}/microlocations/{room.pk}/edit/", {"name": "room b"})
    assert page.context["form"].errors == {"name": ["Another room of this event has this name."]}
    # Its own name in another case is no clash.
    saved = organizer.post(f"/events/{event.pk}/microlocations/{room.pk}/edit/", {"name": "ROOM A"})
    assert saved.status_code == 302
    room.refresh_from_db()
    assert room.name == "ROOM A"


def test_page_taken_at_the_same_moment_says_so_without_a_500(client_for, event, monkeypatch):
    """The form's check passed; another writer took the name before the save: the constraint answers."""
    organizer = client_for(event.created_by)
    from core import forms as core_forms

    def taken_meanwhile(instance):
        Track.objects.create(event=event, name="Main Hall")  # the other writer, just after the check

    monkeypatch.setattr(core_forms, "check_unique_name", taken_meanwhile)
    page = organizer.post(f"/events/{event.pk}/tracks/new/", {"name": "Main Hall", "color": "#ff0000"})
    assert page.status_code == 200
    assert page.context["form"].errors == {"name": ["Another track of this event has this name."]}
    assert Track.objects.filter(event=event).count() == 1


def test_the_database_holds_the_rule(event):
    TrackFactory(event=event, name="Main")
    with pytest.raises(IntegrityError), transaction.atomic():
        Track.objects.create(event=event, name="MAIN")


def test_check_passes_models_without_the_rule(event):
    from events.models import Speaker

    Speaker.objects.create(event=event, name="Ada")
    check_unique_name(Speaker(event=event, name="Ada"))  # speakers may share a name: no error, no query


@pytest.mark.django_db(transaction=True)
def test_migration_renames_later_duplicates_and_moves_their_etags():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        renamed, counters_moved = _migrate_duplicates(executor)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    assert renamed == {"first": "Main", "second": "MAIN (3)", "third": "main (4)", "elsewhere": "Main"}
    assert counters_moved == {"tracks": 1}


def _migrate_duplicates(executor):
    """Rows as the tables stood before events/0010 (every table of the events app as then), then 0010."""
    old = executor.loader.project_state(BEFORE).apps
    starts = timezone.now()
    event_model = old.get_model("events", "Event")
    event, other = (
        event_model.objects.create(name=name, slug=name, starts_at=starts, ends_at=starts + timedelta(days=1))
        for name in ("one", "two")
    )
    track = old.get_model("events", "Track")
    room = old.get_model("events", "Microlocation")
    first = track.objects.create(event_id=event.pk, name="Main")
    second = track.objects.create(event_id=event.pk, name="MAIN")
    track.objects.create(event_id=event.pk, name="Main (2)")
    third = track.objects.create(event_id=event.pk, name="main")
    elsewhere = track.objects.create(event_id=other.pk, name="Main")
    long_name = "x" * 200
    room.objects.create(event_id=event.pk, name=long_name)
    long_duplicate = room.objects.create(event_id=event.pk, name=long_name.upper())
    keys = {"tracks": f"event.{event.pk}.tracks", "other": f"event.{other.pk}.tracks"}
    before = read_counters(keys.values())

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    tracks = new.get_model("events", "Track").objects
    names = dict(tracks.values_list("id", "name"))
    versions = dict(tracks.filter(pk__in=[first.pk, second.pk]).values_list("id", "version"))
    assert versions == {first.pk: 1, second.pk: 2}
    renamed_room = new.get_model("events", "Microlocation").objects.get(pk=long_duplicate.pk).name
    assert (renamed_room, len(renamed_room)) == ("X" * 196 + " (2)", 200)
    after = read_counters(keys.values())
    moved = {name: after[key] - before[key] for name, key in keys.items() if after[key] != before[key]}
    rows = {"first": first, "second": second, "third": third, "elsewhere": elsewhere}
    return {label: names[row.pk] for label, row in rows.items()}, moved
