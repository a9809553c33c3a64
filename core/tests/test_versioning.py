"""Every write path moves the version counters; none bypasses them."""

import datetime

import pytest

from core.models import VersionCounter
from core.tests.layer import heard_after_commit
from core.versioning import EVERYONE, StaleObjectError, event_resources, event_versions, read_counters
from events.models import Session, Speaker, Track
from events.tests.factories import EventFactory, SessionFactory, SpeakerFactory, TrackFactory


def tracks_counter(event):
    key = f"event.{event.pk}.tracks"
    return read_counters([key])[key]


def sessions_counter(event):
    key = f"event.{event.pk}.sessions"
    return read_counters([key])[key]


@pytest.mark.django_db
def test_create_event_moves_the_event_and_roles_counters_only():
    event = EventFactory()
    keys = [f"event.{event.pk}.{name}" for name in ("event", "tickets", "tracks", "sessions", "roles")]
    assert read_counters(keys) == dict(zip(keys, [1, 0, 0, 0, 1], strict=True))


@pytest.mark.django_db
def test_save_bumps_row_version_and_list_counter():
    event = EventFactory()
    track = TrackFactory(event=event)
    assert (track.version, tracks_counter(event)) == (1, 1)
    track.name = "Renamed"
    track.save()
    assert (Track.objects.get(pk=track.pk).version, tracks_counter(event)) == (2, 2)


@pytest.mark.django_db
def test_stale_instance_cannot_overwrite_a_newer_row():
    track = TrackFactory()
    first, second = Track.objects.get(pk=track.pk), Track.objects.get(pk=track.pk)
    first.name = "First"
    first.save()
    second.name = "Second"
    with pytest.raises(StaleObjectError, match=rf"^Track {track.pk} was changed by someone else\.$"):
        second.save()
    assert Track.objects.get(pk=track.pk).name == "First"


@pytest.mark.django_db
def test_saving_one_row_claims_its_own_version_only():
    event = EventFactory()
    mine, theirs = TrackFactory(event=event, name="Mine"), TrackFactory(event=event, name="Theirs")
    assert (mine.version, theirs.version) == (1, 1)
    mine.name = "Mine, renamed"
    mine.save()
    assert dict(Track.objects.filter(event=event).values_list("name", "version")) == {"Mine, renamed": 2, "Theirs": 1}


@pytest.mark.django_db
def test_saving_some_fields_writes_those_and_the_claimed_version():
    track = TrackFactory(name="Web", color="#111111")
    track.name, track.color = "Data", "#222222"
    track.save(update_fields=["name"])
    stored = Track.objects.get(pk=track.pk)
    assert (stored.name, stored.color, stored.version, track.version) == ("Data", "#111111", 2, 2)


@pytest.mark.django_db
def test_a_new_row_with_an_id_of_its_own_is_created_at_version_1():
    event = EventFactory()
    track = Track(pk=987654, event=event, name="Chosen id")
    track.save()
    assert Track.objects.filter(pk=987654).values_list("name", "version").get() == ("Chosen id", 1)


@pytest.mark.django_db
def test_queryset_update_bumps_versions_and_counter():
    event = EventFactory()
    TrackFactory(event=event)
    TrackFactory(event=event)
    before = tracks_counter(event)
    assert Track.objects.filter(event=event).update(location="Hall B") == 2
    assert list(Track.objects.filter(event=event).values_list("version", flat=True)) == [2, 2]
    assert tracks_counter(event) == before + 1


@pytest.mark.django_db
def test_queryset_delete_bumps_counter():
    event = EventFactory()
    TrackFactory(event=event)
    before = tracks_counter(event)
    Track.objects.filter(event=event).delete()
    assert tracks_counter(event) == before + 1


@pytest.mark.django_db
def test_bulk_create_and_bulk_update_bump_counter():
    event = EventFactory()
    before = tracks_counter(event)
    tracks = Track.objects.bulk_create([Track(event=event, name=f"T{i}") for i in range(3)])
    assert tracks_counter(event) == before + 1
    for track in tracks:
        track.location = "Annex"
    Track.objects.bulk_update(tracks, ["location"])
    assert sorted(Track.objects.filter(event=event).values_list("version", flat=True)) == [2, 2, 2]
    assert tracks_counter(event) == before + 2


@pytest.mark.django_db
def test_deleting_a_track_bumps_the_sessions_that_lose_it():
    event = EventFactory()
    track = TrackFactory(event=event)
    session = SessionFactory(event=event, track=track)
    before = sessions_counter(event)
    track.delete()
    session.refresh_from_db()
    assert (session.track_id, session.version, sessions_counter(event)) == (None, 2, before + 1)


@pytest.mark.django_db
def test_many_to_many_changes_bump_both_directions():
    event = EventFactory()
    session = SessionFactory(event=event)
    speaker = SpeakerFactory(event=event)
    before = sessions_counter(event)
    session.speakers.add(speaker)
    assert (Session.objects.get(pk=session.pk).version, sessions_counter(event)) == (2, before + 1)
    speaker.sessions.remove(session)
    assert (Session.objects.get(pk=session.pk).version, sessions_counter(event)) == (3, before + 2)
    speaker.sessions.add(session)
    Speaker.objects.get(pk=speaker.pk).sessions.clear()
    assert (Session.objects.get(pk=session.pk).version, sessions_counter(event)) == (5, before + 4)


@pytest.mark.django_db
def test_deleting_a_speaker_bumps_their_sessions():
    event = EventFactory()
    session = SessionFactory(event=event)
    speaker = SpeakerFactory(event=event)
    session.speakers.add(speaker)
    version = Session.objects.get(pk=session.pk).version
    speaker.delete()
    assert Session.objects.get(pk=session.pk).version == version + 1


@pytest.mark.django_db
def test_counters_remember_when_they_last_moved():
    from datetime import timedelta

    from django.utils import timezone

    from core.versioning import bump, read_counters_with_times

    before = timezone.now()
    bump(["site.test.a", "site.test.b"])
    values, first = read_counters_with_times(["site.test.a", "site.test.b", "site.test.never"])
    assert values == {"site.test.a": 1, "site.test.b": 1, "site.test.never": 0}
    assert before <= first <= timezone.now()
    bump(["site.test.b"])
    values, second = read_counters_with_times(["site.test.a", "site.test.b"])
    assert (values, second >= first) == ({"site.test.a": 1, "site.test.b": 2}, True)
    assert read_counters_with_times(["site.test.never"]) == ({"site.test.never": 0}, None)
    assert second - first < timedelta(seconds=60)


def public_sessions_counter(event):
    key = f"event.{event.pk}.public.sessions"
    return read_counters([key])[key]


@pytest.mark.django_db
def test_public_counter_moves_only_for_writes_the_public_sees():
    event = EventFactory()
    session = SessionFactory(event=event, state=Session.CONFIRMED)
    assert public_sessions_counter(event) == 1
    # Read back, made a draft: the row the public saw leaves, so the public counter moves.
    stored = Session.objects.get(pk=session.pk)
    stored.state = Session.DRAFT
    stored.save()
    assert (sessions_counter(event), public_sessions_counter(event)) == (2, 2)
    # A draft's edits are the team's alone.
    stored.title = "Still a draft"
    stored.save()
    Session.objects.filter(pk=session.pk).update(title="Draft again")
    assert (sessions_counter(event), public_sessions_counter(event)) == (4, 2)
    # An update that makes it public moves the public counter; cancelled is public too.
    Session.objects.filter(pk=session.pk).update(state=Session.CANCELLED)
    assert (sessions_counter(event), public_sessions_counter(event)) == (5, 3)


@pytest.mark.django_db
def test_change_kinds_belong_to_event_scoped_models_that_name_their_changes():
    from permissions.models import EventRole
    from tickets.models import Ticket

    assert EventRole.change_kind("changed") is None  # no change_name
    assert Ticket.change_kind("deleted") == "ticket.deleted"
    assert Session.change_kind("created") == "session.created"


@pytest.mark.django_db
def test_a_many_to_many_change_bumps_the_instance_in_hand_by_one():
    session = SessionFactory()
    before = session.version
    session.speakers.add(SpeakerFactory(event=session.event))
    assert session.version == before + 1
    assert Session.objects.get(pk=session.pk).version == before + 1


@pytest.mark.django_db
def test_deleting_an_event_bumps_nothing_it_takes_along(django_assert_num_queries):
    """Rows deleted with the event (CASCADE) are not touched first: no UPDATE of its tracks, sessions, roles."""
    event = EventFactory()
    TrackFactory(event=event)
    SessionFactory(event=event)
    # Django's collector: a SELECT per kind of dependent row, a DELETE per table (personal API tokens
    # limited to the event included), the counters' rows and the event.
    with django_assert_num_queries(22) as captured:
        event.delete()
    assert [query["sql"] for query in captured.captured_queries if '"version" = ' in query["sql"]] == []


@pytest.mark.django_db
def test_bulk_create_joins_the_callers_transaction_without_a_savepoint(django_assert_num_queries):
    event = EventFactory()
    # insert (1) + counters' upsert (1) + whether any event wants the changes (1); no SAVEPOINT / RELEASE.
    with django_assert_num_queries(3):
        Track.objects.bulk_create([Track(event=event, name="A"), Track(event=event, name="B")])


@pytest.mark.django_db
def test_announcements_tell_members_every_list_and_the_public_what_it_sees():
    from core.versioning import announcements

    values = {
        "event.5.public.sessions": 3,  # what the public sees of the sessions
        "event.5.sessions": 7,  # the team's count: members only
        "event.5.tracks": 4,  # every track is public
        "event.5.roles": 2,  # the team only
        "user.9.roles": 1,  # not an event's
    }
    assert announcements(values) == [
        (
            "event.5.public",
            {"type": "versions.changed", "versions": {"sessions": 3, "tracks": 4}, "changed": ["sessions", "tracks"]},
        ),
        (
            "event.5.members",
            {
                "type": "versions.changed",
                "versions": {"sessions": 7, "tracks": 4, "roles": 2},
                "changed": ["roles", "sessions", "tracks"],
            },
        ),
    ]


def test_list_counter_keys_name_the_public_counter_only_where_rows_are_private():
    resources = event_resources()
    keys = {name: (resources[name].key(5), resources[name].key(5, public=True)) for name in ("sessions", "tracks")}
    assert keys == {
        "sessions": ("event.5.sessions", "event.5.public.sessions"),  # draft sessions are the team's
        "tracks": ("event.5.tracks", "event.5.tracks"),  # every track is public
    }


@pytest.mark.django_db
def test_event_versions_of_the_public_are_the_public_counters_of_the_public_lists():
    event = EventFactory()
    for key, value in (("sessions", 3), ("public.sessions", 2), ("tracks", 4), ("orders", 9)):
        VersionCounter.objects.update_or_create(key=f"event.{event.pk}.{key}", defaults={"value": value})

    public = event_versions(event.pk, audience=EVERYONE)
    members = event_versions(event.pk)
    assert (public["sessions"], public["tracks"], "orders" in public) == (2, 4, False)
    assert (members["sessions"], members["tracks"], members["orders"]) == (3, 4, 9)


@pytest.mark.django_db
def test_queryset_delete_answers_what_it_deleted():
    event = EventFactory()
    TrackFactory(event=event), TrackFactory(event=event)
    assert Track.objects.filter(event=event).delete() == (2, {"events.Track": 2})


@pytest.mark.django_db
def test_bulk_update_stamps_the_time_of_the_change_even_when_not_named():
    long_ago = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    created = SpeakerFactory(name="Ada")
    Speaker.objects.filter(pk=created.pk).update(updated_at=long_ago)
    speaker = Speaker.objects.get(pk=created.pk)
    speaker.name = "Ada L."
    Speaker.objects.bulk_update([speaker], ["name"])
    stored = Speaker.objects.get(pk=speaker.pk)
    assert (stored.name, stored.version, stored.updated_at > long_ago) == ("Ada L.", 3, True)


def event_list_keys(event_id):
    """Every list counter of an event, member and public, as its ETags name them."""
    return sorted(
        {resource.key(event_id, public=public) for resource in event_resources().values() for public in (False, True)}
    )


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [True, False], ids=["member", "anonymous"])
def test_an_event_loaded_through_a_queryset_carries_every_list_counter_as_stored(signed_in):
    # The engine's own queries are compiled once per process; a queryset given to it builds the counters anew.
    from django.contrib.auth.models import AnonymousUser

    from core.versioning import loaded_counter
    from events.models import Event
    from permissions.engine import load_event

    event, other = EventFactory(), EventFactory()
    keys = event_list_keys(event.pk)
    for number, key in enumerate(keys):
        VersionCounter.objects.update_or_create(key=key, defaults={"value": 100 + number})
        VersionCounter.objects.update_or_create(
            key=key.replace(f".{event.pk}.", f".{other.pk}.", 1), defaults={"value": 7}
        )

    user = event.created_by if signed_in else AnonymousUser()
    loaded = load_event(user, event.pk, queryset=Event.objects.all())
    assert {key: loaded_counter(loaded, key) for key in keys} == {key: 100 + number for number, key in enumerate(keys)}
    assert {f"event.{event.pk}.sessions", f"event.{event.pk}.public.sessions"} <= set(keys)


@pytest.mark.django_db
def test_an_event_whose_lists_never_moved_reads_zero_for_each():
    from core.versioning import loaded_counter
    from events.models import Event
    from permissions.engine import load_event

    event = EventFactory()
    VersionCounter.objects.filter(key__startswith=f"event.{event.pk}.").delete()
    loaded = load_event(event.created_by, event.pk, queryset=Event.objects.all())
    keys = event_list_keys(event.pk)
    assert {key: loaded_counter(loaded, key) for key in keys} == dict.fromkeys(keys, 0)


def test_a_list_name_that_could_break_out_of_the_sql_is_refused():
    from django.db.models import OuterRef

    from core.versioning import _EventCounterKey

    with pytest.raises(ValueError, match=r"^not a list name: \"x' OR '1\"$"):
        _EventCounterKey(OuterRef("pk"), "x' OR '1")


def test_announcements_read_past_counters_that_are_not_an_events():
    from core.versioning import announcements

    values = {"site.all.events": 8, "event.5.tracks": 4}
    assert [group for group, _message in announcements(values)] == ["event.5.members", "event.5.public"]


def versions_pushed(event, act, capture_on_commit):
    """Run ``act()`` and commit; return {group: the message it got} for the event's members' and public groups."""
    from core.versioning import MEMBERS, event_group

    groups = [event_group(event.pk, MEMBERS), event_group(event.pk, EVERYONE)]
    _result, heard, _callbacks = heard_after_commit(groups, act, capture_on_commit)
    return {group: messages[0] for group, messages in heard.items()}


@pytest.mark.django_db
def test_a_save_pushes_the_moved_counters_to_the_events_sockets_after_commit(django_capture_on_commit_callbacks):
    event = EventFactory()
    track = TrackFactory(event=event)
    track.name = "Renamed"
    message = {"type": "versions.changed", "versions": {"tracks": 2}, "changed": ["tracks"]}
    assert versions_pushed(event, track.save, django_capture_on_commit_callbacks) == {
        f"event.{event.pk}.members": message,
        f"event.{event.pk}.public": message,  # every track is public
    }


@pytest.mark.django_db
def test_many_to_many_values_set_while_creating_a_row_leave_it_at_version_1():
    from core.versioning import saving_with_relations

    event = EventFactory()
    speaker = SpeakerFactory(event=event)
    with saving_with_relations(Session):
        session = SessionFactory(event=event)
        session.speakers.add(speaker)
    assert (session.version, Session.objects.get(pk=session.pk).version) == (1, 1)


@pytest.mark.django_db
def test_a_personal_schedule_starring_a_session_leaves_the_session_alone():
    from events.models import PersonalSchedule

    session = SessionFactory()
    schedule = PersonalSchedule.objects.create(event=session.event, token_hash="a" * 64)
    before = sessions_counter(session.event)
    schedule.sessions.add(session)
    assert (Session.objects.get(pk=session.pk).version, sessions_counter(session.event)) == (1, before)


@pytest.mark.django_db
def test_deleting_no_event_moves_no_site_counter():
    from events.models import Event

    before = read_counters(["site.all.events"])
    assert Event.objects.filter(pk=-1).delete() == (0, {})
    assert read_counters(["site.all.events"]) == before


@pytest.mark.django_db
def test_an_update_by_expression_that_may_make_rows_public_moves_the_public_counter():
    from django.db.models import Value

    session = SessionFactory(state=Session.DRAFT)
    event = session.event
    before = (sessions_counter(event), public_sessions_counter(event))
    Session.objects.filter(pk=session.pk).update(state=Value(Session.CONFIRMED))
    assert (sessions_counter(event), public_sessions_counter(event)) == (before[0] + 1, before[1] + 1)


@pytest.mark.django_db
def test_an_update_that_keeps_a_draft_a_draft_leaves_the_public_counter_alone():
    session = SessionFactory(state=Session.DRAFT)
    event = session.event
    before = (sessions_counter(event), public_sessions_counter(event))
    Session.objects.filter(pk=session.pk).update(state=Session.DRAFT, title="Still a draft")
    assert (sessions_counter(event), public_sessions_counter(event)) == (before[0] + 1, before[1])


@pytest.mark.django_db
def test_rows_read_with_a_fetch_mode_keep_it():
    from django.core.exceptions import FieldFetchBlocked
    from django.db.models import FETCH_RAISE

    track = TrackFactory()
    stored = Track.objects.fetch_mode(FETCH_RAISE).get(pk=track.pk)
    with pytest.raises(FieldFetchBlocked):
        stored.event  # noqa: B018 - reading it is the test


@pytest.mark.django_db
def test_bulk_create_passes_the_batch_size_on(django_assert_num_queries):
    event = EventFactory()
    # two inserts + counters' upsert (1) + whether any event wants the changes (1), for each call
    with django_assert_num_queries(4):
        Track.objects.bulk_create([Track(event=event, name="A"), Track(event=event, name="B")], 1)
    with django_assert_num_queries(4):
        Track.objects.bulk_create([Track(event=event, name="C"), Track(event=event, name="D")], batch_size=1)
    assert Track.objects.filter(event=event).count() == 4


@pytest.mark.django_db
def test_bulk_update_joins_the_callers_transaction_and_passes_the_batch_size_on(django_assert_num_queries):
    event = EventFactory()
    tracks = [TrackFactory(event=event), TrackFactory(event=event)]
    for track in tracks:
        track.location = "Annex"
    # the update + counters' upsert + whether any event wants the changes; no SAVEPOINT / RELEASE
    with django_assert_num_queries(3):
        Track.objects.bulk_update(tracks, ["location"])
    # one update per row
    with django_assert_num_queries(4):
        Track.objects.bulk_update(tracks, ["location"], 1)
    with django_assert_num_queries(4):
        Track.objects.bulk_update(tracks, ["location"], batch_size=1)
    assert sorted(Track.objects.filter(event=event).values_list("version", flat=True)) == [4, 4]


@pytest.mark.django_db
def test_queryset_delete_joins_the_callers_transaction_without_a_savepoint(django_assert_num_queries):
    event = EventFactory()
    TrackFactory(event=event)
    # the rows' counters, who wants the changes, the ids, the roles and sessions pointing at them (read, touched),
    # Django's collector (read, unlink, delete), the counters' upsert; no SAVEPOINT / RELEASE
    with django_assert_num_queries(12) as captured:
        Track.objects.filter(event=event).delete()
    assert [query["sql"] for query in captured.captured_queries if "SAVEPOINT" in query["sql"]] == []


@pytest.mark.django_db
def test_a_row_read_back_takes_a_new_row_into_its_many_to_many():
    session = Session.objects.get(pk=SessionFactory().pk)
    speaker = SpeakerFactory(event=session.event)
    session.speakers.add(speaker)
    assert (list(session.speakers.all()), Session.objects.get(pk=session.pk).version) == ([speaker], 2)
