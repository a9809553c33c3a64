"""The frab schedule format (XML and JSON) that conference apps, video pipelines and signage read.

Both follow the c3voc schemas (schedule.xml.xsd and schedule.json.schema.json,
copied with their licence into events/tests/schedule_schemas/, where the
tests validate against them). Days run from local midnight to midnight in
the event's zone; a session sits in the day it starts, under its room
("No room" for a session without one). The formats have no field for a
session's state: a cancelled session keeps its slot with "Cancelled: "
before its title, so apps that already hold it show the change.
"""

import json
import re
from xml.etree import ElementTree

from core.links import absolute_reverse, absolute_url

from ..schedule import (
    NO_ROOM,
    acronym,
    hours_minutes,
    session_slug,
    session_url,
    speaker_url,
    stable_uuid,
    track_slug,
)
from . import writable

GENERATOR = "Open Event on Django"
SCHEMA_URL = "https://c3voc.de/schedule/schema.json"
TIMESLOT = "00:05"
SESSION_TYPE = "session"
# The JSON schema's pattern for a zone name; others (e.g. Etc/GMT+1) are left out, as it allows.
ZONE_NAME = r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$"


def version_label(counters):
    """The schedule's version: its counters, so any change that shows gives a new label."""
    return ".".join(str(value) for value in counters)


def _title(session):
    return f"Cancelled: {session.title}" if session.is_cancelled else session.title


def _room_guid(event, room):
    return stable_uuid(absolute_url(f"/e/{event.slug}/rooms/{room.pk if room else 'none'}/"))


def _session(schedule, session, room_name):
    event, local_start = schedule.event, session.starts_at.astimezone(schedule.zone)
    url = session_url(event, session.pk)
    return {
        "id": session.pk,
        "guid": stable_uuid(url),
        "date": local_start.isoformat(),
        "start": local_start.strftime("%H:%M"),
        "duration": hours_minutes(session.ends_at - session.starts_at),
        "room": room_name,
        "slug": session_slug(event, session),
        "url": url,
        "title": _title(session),
        "subtitle": "",
        "track": session.track.name if session.track else None,
        "type": SESSION_TYPE,
        "language": None,
        "abstract": session.abstract,
        "description": "",
        "persons": [
            {
                "id": speaker.pk,
                "guid": stable_uuid(speaker_url(event, speaker.pk)),
                "public_name": speaker.name,
                "biography": speaker.bio,
                "url": speaker_url(event, speaker.pk),
            }
            for speaker in session.speakers.all()
        ],
        "links": [],
        "attachments": [],
    }


def _conference(schedule, counters):
    """Return the schedule as the nested dicts of the frab JSON; the XML is written from the same."""
    event = schedule.event
    zone_name = schedule.zone.key
    days = [
        {
            "index": day.index,
            "date": day.date.isoformat(),
            "day_start": day.start.isoformat(),
            "day_end": day.end.isoformat(),
            "rooms": {
                name: [_session(schedule, session, name) for session in sessions]
                for name, _room, sessions in schedule.rooms_of(day)
            },
        }
        for day in schedule.days
    ]
    conference = {
        "acronym": acronym(event),
        "title": event.name,
        "start": schedule.days[0].date.isoformat() if schedule.days else event.starts_at.date().isoformat(),
        "end": schedule.days[-1].date.isoformat() if schedule.days else event.ends_at.date().isoformat(),
        "daysCount": len(days),
        "timeslot_duration": TIMESLOT,
        "url": absolute_reverse("public:schedule", event.slug),
        "tracks": [{"name": track.name, "slug": track_slug(track), "color": track.color} for track in schedule.tracks],
        "rooms": [{"name": room.name, "guid": _room_guid(event, room)} for room in schedule.rooms],
        "days": days,
    }
    if re.search(ZONE_NAME, zone_name):
        conference["time_zone_name"] = zone_name
    return {"version": version_label(counters), "base_url": absolute_url("/"), "conference": conference}


def frab_json(schedule, counters):
    """Return the schedule as frab JSON (bytes)."""
    document = {
        "$schema": SCHEMA_URL,
        "generator": {"name": GENERATOR},
        "schedule": _conference(schedule, counters),
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def _element(parent, tag, **attributes):
    """Add an element whose attributes are written as XML can hold them (exports.writable: names may carry more)."""
    return ElementTree.SubElement(parent, tag, {key: writable(str(value)) for key, value in attributes.items()})


def _text(parent, tag, text, **attributes):
    element = _element(parent, tag, **attributes)
    element.text = "" if text is None else writable(str(text))
    return element


def frab_xml(schedule, counters):
    """Return the schedule as frab XML (bytes, UTF-8)."""
    data = _conference(schedule, counters)
    conference = data["conference"]
    root = ElementTree.Element("schedule")
    ElementTree.SubElement(root, "generator", {"name": GENERATOR})
    _text(root, "url", absolute_reverse("public:schedule-xml", schedule.event.slug))
    _text(root, "version", data["version"])
    head = ElementTree.SubElement(root, "conference")
    for tag in ("acronym", "title", "start", "end"):
        _text(head, tag, conference[tag])
    _text(head, "days", conference["daysCount"])
    _text(head, "timeslot_duration", TIMESLOT)
    _text(head, "base_url", data["base_url"])
    _text(head, "url", conference["url"])
    _text(head, "time_zone_name", schedule.zone.key)
    for track in conference["tracks"]:
        _text(head, "track", track["name"], name=track["name"], color=track["color"], slug=track["slug"])
    rooms = {room.name: _room_guid(schedule.event, room) for room in schedule.rooms}
    for day in conference["days"]:
        day_element = ElementTree.SubElement(
            root,
            "day",
            {"index": str(day["index"]), "date": day["date"], "start": day["day_start"], "end": day["day_end"]},
        )
        for name, sessions in day["rooms"].items():
            guid = rooms.get(name) if name != NO_ROOM else _room_guid(schedule.event, None)
            room_element = _element(day_element, "room", name=name, guid=guid)
            for session in sessions:
                _xml_session(room_element, session)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _xml_session(parent, session):
    element = ElementTree.SubElement(parent, "event", {"id": str(session["id"]), "guid": session["guid"]})
    for tag in ("room", "title", "subtitle", "type", "date", "start", "duration", "abstract", "slug"):
        _text(element, tag, session[tag])
    _text(element, "track", session["track"] or "")
    persons = ElementTree.SubElement(element, "persons")
    for person in session["persons"]:
        _text(persons, "person", person["public_name"], id=person["id"], guid=person["guid"])
    _text(element, "description", session["description"])
    ElementTree.SubElement(element, "links")
    ElementTree.SubElement(element, "attachments")
    _text(element, "url", session["url"])
