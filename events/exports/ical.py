"""iCalendar (RFC 5545) for a schedule, a session or a personal feed, with the icalendar library.

Calendar clients that subscribe to a feed match events by UID and take a
higher SEQUENCE (or a later LAST-MODIFIED) as an update, so a session that
moves or is cancelled changes in place: the UID is ``session-<id>@<site
host>`` forever, SEQUENCE follows the session's version, and a cancelled
session stays in the feed with STATUS:CANCELLED. Times carry the event's
TZID with its VTIMEZONE; a local time that is ambiguous or skipped by a
daylight-saving change is written in UTC instead, so it cannot be misread.
"""

from datetime import UTC, timedelta

import icalendar

from ..schedule import NO_ROOM, session_url, site_host
from . import one_line, writable

PRODID = "-//Open Event on Django//Schedule//EN"


def session_uid(session):
    return f"session-{session.pk}@{site_host()}"


def _moment(value, zone):
    """Return the time to write: local in the event's zone, or UTC where the local time is ambiguous."""
    local = value.astimezone(zone)
    other_fold = local.replace(fold=1 - local.fold)
    if other_fold.utcoffset() != local.utcoffset() or zone.key == "UTC":
        return value.astimezone(UTC)
    return local


def _vevent(schedule, session):
    event, zone = schedule.event, schedule.zone
    vevent = icalendar.Event()
    vevent.add("uid", session_uid(session))
    vevent.add("dtstamp", session.updated_at.astimezone(UTC))
    vevent.add("last-modified", session.updated_at.astimezone(UTC))
    vevent.add("sequence", max(0, session.version - 1))
    vevent.add("dtstart", _moment(session.starts_at, zone))
    vevent.add("dtend", _moment(session.ends_at, zone))
    vevent.add("summary", writable(session.title))
    vevent.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
    speakers = ", ".join(speaker.name for speaker in session.speakers.all())
    description = "\n\n".join(part for part in (speakers and f"With {speakers}", session.abstract) if part)
    if description:
        vevent.add("description", writable(description))
    room = session.microlocation.name if session.microlocation else NO_ROOM
    vevent.add("location", writable(", ".join(part for part in (room, event.location) if part)))
    if session.track:
        vevent.add("categories", [writable(session.track.name)])
    vevent.add("url", session_url(event, session.pk))
    return vevent


def calendar(schedule, *, name):
    """Return the schedule's sessions as one VCALENDAR (bytes), with the VTIMEZONE of the event's zone."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # An X- property's value is written as given (not escaped as TEXT): one line, escaped here.
    cal.add("x-wr-calname", icalendar.vText(one_line(name)))
    cal.add("x-wr-timezone", schedule.zone.key)
    # How often subscribed clients should look again; they revalidate with the feed's ETag.
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for session in schedule.sessions:
        cal.add_component(_vevent(schedule, session))
    if schedule.sessions:
        first = min(session.starts_at for session in schedule.sessions).astimezone(schedule.zone).date()
        last = max(session.ends_at for session in schedule.sessions).astimezone(schedule.zone).date()
        # Only the zone's rules around the sessions: a small VTIMEZONE that still covers every time written.
        cal.add_missing_timezones(first_date=first - timedelta(days=1), last_date=last + timedelta(days=2))
    return cal.to_ical()
