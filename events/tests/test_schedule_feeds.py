"""The schedule's feeds: valid frab XML and JSON, iCal that round-trips, filters, 304s that cost two queries."""

import json
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import jsonschema
import pytest
from django.urls import reverse
from lxml import etree

from core.links import absolute_url
from events.models import Event, Session
from events.tests.factories import SessionFactory
from events.tests.schedule_world import berlin, dst_conference

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).with_name("schedule_schemas")
FEEDS = ["schedule-ics", "schedule-xml", "schedule-json", "schedule-data"]


@pytest.fixture(scope="module")
def xsd():
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "schedule.xml.xsd")))


@pytest.fixture(scope="module")
def json_validator():
    schema = json.loads((SCHEMAS / "schedule.json.schema.json").read_text())
    return jsonschema.Draft6Validator(schema, format_checker=jsonschema.Draft6Validator.FORMAT_CHECKER)


def url(name, event, *args):
    return reverse(f"public:{name}", args=[event.slug, *args])


def ical_events(content):
    return {str(vevent["summary"]): vevent for vevent in icalendar.Calendar.from_ical(content).walk("VEVENT")}


def frab_titles(document):
    return [
        event["title"]
        for day in document["schedule"]["conference"]["days"]
        for sessions in day["rooms"].values()
        for event in sessions
    ]


def test_frab_xml_validates_against_the_xsd(client, xsd):
    world = dst_conference()
    response = client.get(url("schedule-xml", world.event))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    document = etree.fromstring(response.content)
    assert xsd.validate(document), xsd.error_log
    days = document.findall("day")
    assert [(day.get("index"), day.get("date"), day.get("start"), day.get("end")) for day in days] == [
        ("1", "2030-10-25", "2030-10-25T00:00:00+02:00", "2030-10-26T00:00:00+02:00"),
        ("2", "2030-10-26", "2030-10-26T00:00:00+02:00", "2030-10-27T00:00:00+02:00"),
        ("3", "2030-10-27", "2030-10-27T00:00:00+02:00", "2030-10-28T00:00:00+01:00"),
    ]
    by_title = {event.findtext("title"): event for event in document.iter("event")}
    assert sorted(by_title) == [
        "Cancelled: Cancelled talk",
        "Hallway track",
        "Late party",
        "Night owls",
        "Opening",
        "Workshop",
    ]
    # Across midnight: on the day it starts. Across the clock change: 01:30 CEST, three real hours.
    night_owls = by_title["Night owls"]
    assert (night_owls.findtext("date"), night_owls.findtext("start"), night_owls.findtext("duration")) == (
        "2030-10-27T01:30:00+02:00",
        "01:30",
        "03:00",
    )
    assert by_title["Late party"] in days[1].iter("event")
    assert by_title["Hallway track"].findtext("room") == "No room"
    assert [person.text for person in by_title["Opening"].iter("person")] == ["Ada Lovelace", "Grace Hopper"]


def test_frab_json_validates_against_the_json_schema(client, json_validator):
    world = dst_conference()
    response = client.get(url("schedule-json", world.event))
    assert response.status_code == 200
    document = response.json()
    assert [error.message for error in json_validator.iter_errors(document)] == []
    conference = document["schedule"]["conference"]
    assert (conference["acronym"], conference["daysCount"], conference["time_zone_name"]) == (
        "dst_conf",
        3,
        "Europe/Berlin",
    )
    day_three = conference["days"][2]
    assert {room: [event["title"] for event in events] for room, events in day_three["rooms"].items()} == {
        "Hall A": ["Night owls"],
        "No room": ["Hallway track"],
    }
    assert [event["title"] for event in conference["days"][1]["rooms"]["Hall B"]] == ["Late party"]
    opening = conference["days"][0]["rooms"]["Hall A"][0]
    assert opening["persons"][0]["public_name"] == "Ada Lovelace"
    assert opening["url"] == absolute_url(url("session", world.event, world.opening.pk))


def test_ical_round_trips_uids_times_and_status(client, settings):
    settings.SITE_URL = "https://events.example.org"
    world = dst_conference()
    response = client.get(url("schedule-ics", world.event))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    assert [zone["TZID"] for zone in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    events = ical_events(response.content)
    assert sorted(events) == sorted(session.title for session in world.public)
    assert {title: str(vevent["uid"]) for title, vevent in events.items()} == {
        session.title: f"session-{session.pk}@events.example.org" for session in world.public
    }
    for session in world.public:
        vevent = events[session.title]
        assert vevent.decoded("dtstart") == session.starts_at
        assert vevent.decoded("dtend") == session.ends_at
    night_owls = events["Night owls"]
    assert night_owls.decoded("dtstart").astimezone(UTC) == datetime(2030, 10, 26, 23, 30, tzinfo=UTC)
    assert night_owls.decoded("dtend").astimezone(UTC) == datetime(2030, 10, 27, 2, 30, tzinfo=UTC)
    assert {title: str(vevent["status"]) for title, vevent in events.items()}["Cancelled talk"] == "CANCELLED"
    assert str(events["Opening"]["status"]) == "CONFIRMED"
    assert str(events["Opening"]["url"]) == f"https://events.example.org/e/dst-conf/sessions/{world.opening.pk}/"
    assert "Secret draft" not in response.content.decode()


def test_a_time_in_the_repeated_hour_is_written_in_utc(client):
    world = dst_conference()
    # 02:30 CET, the second time the clock shows 02:30 that night (fold=1).
    repeated = SessionFactory(
        event=world.event, title="Twice", starts_at=berlin(27, 2, 30, fold=1), ends_at=berlin(27, 4)
    )
    vevent = ical_events(client.get(url("schedule-ics", world.event)).content)["Twice"]
    # (A fold=1 time never equals a time of another zone, PEP 495: compare in UTC.)
    assert repeated.starts_at.astimezone(UTC) == datetime(2030, 10, 27, 1, 30, tzinfo=UTC)
    assert vevent.decoded("dtstart") == datetime(2030, 10, 27, 1, 30, tzinfo=UTC)
    assert "DTSTART:20301027T013000Z" in vevent.to_ical().decode()


def test_a_moved_session_keeps_its_uid_and_raises_its_sequence(client):
    world = dst_conference()
    before = ical_events(client.get(url("schedule-ics", world.event)).content)["Workshop"]
    world.workshop.starts_at, world.workshop.ends_at = berlin(25, 14), berlin(25, 15)
    world.workshop.save()
    after = ical_events(client.get(url("schedule-ics", world.event)).content)["Workshop"]
    assert str(after["uid"]) == str(before["uid"])
    assert after["sequence"] == before["sequence"] + 1
    assert after.decoded("dtstart") == berlin(25, 14)


def test_plain_json_lists_public_sessions_with_local_times(client):
    world = dst_conference()
    document = client.get(url("schedule-data", world.event)).json()
    assert [(s["title"], s["day"], s["starts_at"], s["state"]) for s in document["sessions"]] == [
        ("Opening", "2030-10-25", "2030-10-25T09:00:00+02:00", "confirmed"),
        ("Workshop", "2030-10-25", "2030-10-25T09:30:00+02:00", "confirmed"),
        ("Cancelled talk", "2030-10-26", "2030-10-26T10:00:00+02:00", "cancelled"),
        ("Late party", "2030-10-26", "2030-10-26T23:30:00+02:00", "confirmed"),
        ("Night owls", "2030-10-27", "2030-10-27T01:30:00+02:00", "confirmed"),
        ("Hallway track", "2030-10-27", "2030-10-27T12:00:00+01:00", "confirmed"),
    ]
    assert document["tracks"] == [
        {"id": world.main.pk, "name": "Main", "color": "#ff0000"},
        {"id": world.workshops.pk, "name": "Workshops", "color": "#00aa00"},
    ]


def titles_of(name, content):
    if name == "schedule-ics":
        return sorted(ical_events(content))
    if name == "schedule-xml":
        return sorted(event.findtext("title") for event in etree.fromstring(content).iter("event"))
    document = json.loads(content)
    if name == "schedule-json":
        return sorted(frab_titles(document))
    return sorted(session["title"] for session in document["sessions"])


@pytest.mark.parametrize("name", FEEDS)
def test_every_feed_applies_every_filter(client, name):
    world = dst_conference()
    base = url(name, world.event)
    by_track = client.get(base, {"track": world.workshops.pk})
    assert titles_of(name, by_track.content) == ["Late party", "Workshop"]
    by_room = client.get(base, {"room": world.hall_a.pk, "day": "2030-10-27"})
    assert titles_of(name, by_room.content) == ["Night owls"]
    both_days = client.get(f"{base}?day=2030-10-25,2030-10-26&track={world.main.pk}")
    cancelled = "Cancelled: Cancelled talk" if name in ("schedule-xml", "schedule-json") else "Cancelled talk"
    assert titles_of(name, both_days.content) == sorted([cancelled, "Opening"])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"colour": "red"}, "Unknown parameter colour: the schedule is filtered by track, room and day."),
        ({"day": "2030-10-28"}, "2030-10-28 is not a day of this event (2030-10-25 to 2030-10-27)."),
        ({"day": "27.10.2030"}, "day must be a date as YYYY-MM-DD, not '27.10.2030'."),
        ({"day": "2030-02-30"}, "day must be a date as YYYY-MM-DD, not '2030-02-30'."),
        ({"track": "main"}, "track must be the id of a track (a positive whole number), not 'main'."),
        (
            {"room": "99999999999999999999"},
            "room must be the id of a room (a positive whole number), not '99999999999999999999'.",
        ),
        ({"track": "424242"}, "This event has no track 424242."),
    ],
)
@pytest.mark.parametrize("name", FEEDS)
def test_a_bad_filter_is_a_400_with_a_message(client, name, query, message):
    world = dst_conference()
    response = client.get(url(name, world.event), query)
    assert (response.status_code, response["Content-Type"], response.json()) == (
        400,
        "application/json",
        {"detail": message},
    )


@pytest.mark.parametrize("name", FEEDS)
def test_a_conditional_get_costs_the_event_and_the_counters(client, django_assert_num_queries, name):
    world = dst_conference()
    first = client.get(url(name, world.event), {"track": world.main.pk})
    assert first["Cache-Control"] == "public, max-age=60, must-revalidate"
    assert first["Last-Modified"]
    with django_assert_num_queries(2):
        again = client.get(url(name, world.event), {"track": world.main.pk}, headers={"If-None-Match": first["ETag"]})
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", first["ETag"])
    assert again["Cache-Control"] == "public, max-age=60, must-revalidate"
    with django_assert_num_queries(2):
        since = client.get(
            url(name, world.event), {"track": world.main.pk}, headers={"If-Modified-Since": first["Last-Modified"]}
        )
    assert since.status_code == 304
    # Another filter is another representation.
    other = client.get(url(name, world.event), {"track": world.workshops.pk}, headers={"If-None-Match": first["ETag"]})
    assert other.status_code == 200


@pytest.mark.parametrize("name", FEEDS)
def test_a_full_answer_costs_six_queries(client, django_assert_num_queries, name):
    world = dst_conference()
    with django_assert_num_queries(6):  # event, counters, tracks, rooms, sessions, their speakers
        assert client.get(url(name, world.event)).status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        lambda world: Session.objects.filter(pk=world.workshop.pk).update(title="Moved"),
        lambda world: world.main.__class__.objects.filter(pk=world.main.pk).update(color="#123456"),
        lambda world: world.hall_a.__class__.objects.filter(pk=world.hall_a.pk).update(name="Hall Z"),
        lambda world: world.ada.__class__.objects.filter(pk=world.ada.pk).update(name="Ada King"),
        lambda world: world.opening.speakers.remove(world.grace),
        lambda world: Event.objects.filter(pk=world.event.pk).update(name="Renamed"),
    ],
    ids=["session", "track", "room", "speaker", "speakers of a session", "event"],
)
def test_a_change_the_schedule_shows_gives_a_new_etag(client, change):
    world = dst_conference()
    etag = client.get(url("schedule-ics", world.event))["ETag"]
    change(world)
    response = client.get(url("schedule-ics", world.event), headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_a_draft_event_has_no_public_feeds(client, api_for):
    world = dst_conference(state=Event.DRAFT)
    for name in FEEDS:
        assert client.get(url(name, world.event)).status_code == 404
    preview = api_for(world.event.created_by).get(url("schedule-ics", world.event))
    assert (preview.status_code, preview["Cache-Control"]) == (200, "private, max-age=60, must-revalidate")


def test_one_session_as_ical(client, django_assert_num_queries):
    world = dst_conference()
    response = client.get(url("session-ics", world.event, world.cancelled.pk))
    assert list(ical_events(response.content)) == ["Cancelled talk"]
    with django_assert_num_queries(2):
        assert (
            client.get(
                url("session-ics", world.event, world.cancelled.pk), headers={"If-None-Match": response["ETag"]}
            ).status_code
            == 304
        )
    assert client.get(url("session-ics", world.event, world.draft.pk)).status_code == 404
    assert client.get(url("session-ics", world.event, 99999999999999999999)).status_code == 404


def test_a_calendar_client_asking_for_text_calendar_gets_it(client):
    world = dst_conference()
    response = client.get(url("schedule-ics", world.event), headers={"Accept": "text/calendar"})
    assert (response.status_code, response["Content-Type"]) == (200, "text/calendar; charset=utf-8")
    refused = client.get(url("schedule-ics", world.event), {"day": "x"}, headers={"Accept": "text/calendar"})
    assert (refused.status_code, refused["Content-Type"]) == (400, "application/json")


def test_control_characters_in_names_leave_the_xml_and_ical_feeds_well_formed(client, xsd):
    """Finding (an attacker's probe): an event, track, room, session or speaker name holding U+000B or U+001F
    (the API takes them; JSON and HTML escape them) made schedule.xml unreadable to any XML parser ("PCDATA
    invalid Char value 11") and put raw control characters into the .ics feeds, which RFC 5545 forbids."""
    world = dst_conference()
    mark = "\x0b\x1f\x7f"
    world.main.name, world.hall_a.name, world.ada.name = f"Main{mark}", f"Hall A{mark}", f"Ada{mark} Lovelace"
    for row in (world.main, world.hall_a, world.ada):
        row.save()
    world.opening.title, world.opening.abstract = f"Opening{mark}", f"Tab\tand\nlines{mark}"
    world.opening.save()
    world.event.name = f"DST Conf{mark}"
    world.event.save()

    document = etree.fromstring(client.get(url("schedule-xml", world.event)).content)
    ical = client.get(url("schedule-ics", world.event)).content

    assert xsd.validate(document), xsd.error_log
    opening = next(event for event in document.iter("event") if event.findtext("title") == "Opening")
    assert (opening.findtext("track"), opening.findtext("room"), opening.findtext("abstract")) == (
        "Main",
        "Hall A",
        "Tab\tand\nlines",
    )
    assert [person.text for person in opening.iter("person")] == ["Ada Lovelace", "Grace Hopper"]
    assert [room.get("name") for room in document.iter("room")][:1] == ["Hall A"]
    assert not any((byte < 0x20 and byte not in b"\t\r\n") or byte == 0x7F for byte in ical)
    vevent = ical_events(ical)["Opening"]
    assert (str(vevent["location"]), [str(c) for c in vevent["categories"].cats]) == ("Hall A, Berlin", ["Main"])


def test_line_breaks_in_names_neither_break_the_ics_feeds_nor_add_properties(client):
    """Finding (an attacker's probe): a line feed in the event's name made schedule.ics a 500 ("Content line can
    not contain unescaped new line characters"), and a bare CR in a session's title (its own feed's calendar
    name) wrote X-INJECTED:yes and URL:https://evil.example/ as lines of their own."""
    world = dst_conference()
    world.event.name = "DST\nConf"
    world.event.save()
    world.opening.title = "Opening\rX-INJECTED:yes\rURL:https://evil.example/"
    world.opening.save()

    schedule = client.get(url("schedule-ics", world.event))
    single = client.get(reverse("public:session-ics", args=[world.event.slug, world.opening.pk]))

    assert (schedule.status_code, single.status_code) == (200, 200)
    for response, name in ((schedule, "DST Conf"), (single, "Opening X-INJECTED:yes URL:https://evil.example/")):
        calendar = icalendar.Calendar.from_ical(response.content)
        assert (str(calendar["x-wr-calname"]), "X-INJECTED" in calendar) == (name, False)
        assert b"\rX-INJECTED" not in response.content
    (vevent,) = icalendar.Calendar.from_ical(single.content).walk("VEVENT")
    assert (str(vevent["summary"]), "X-INJECTED" in vevent) == (
        "Opening\nX-INJECTED:yes\nURL:https://evil.example/",
        False,
    )
