"""The public schedule of an event: which sessions, filtered how, grouped into the event's days.

Every format (the page, iCal, frab XML and JSON, the plain JSON) reads the
same ``Schedule``, built from the same ``ScheduleFilter``, so a filter means
the same thing everywhere. A session belongs to the day (in the event's time
zone) on which it starts; a day runs from local midnight to the next, so a
day with a daylight-saving change lasts 23 or 25 hours.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils.text import slugify

from core.forms import as_id
from core.links import absolute_reverse
from core.versioning import event_resources, read_counters_with_times
from permissions.mixins import event_zone

from .models import Session, Speaker

FILTERS = ("track", "room", "day")
# The resource lists whose writes change what a schedule shows (the event's own row has its version).
SCHEDULE_LISTS = ("sessions", "tracks", "microlocations", "speakers")
DAY_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NO_ROOM = "No room"


class FilterError(ValueError):
    """A query parameter of the schedule that cannot be honoured; ``str()`` is the message for the visitor."""


@dataclass(frozen=True)
class ScheduleFilter:
    """What the visitor narrowed the schedule to: track and room ids, local days (empty: all)."""

    tracks: tuple = ()
    rooms: tuple = ()
    days: tuple = ()

    def as_query(self):
        """Return the filter as (name, value) pairs in a fixed order: for links and ETags."""
        return [
            *(("track", str(value)) for value in self.tracks),
            *(("room", str(value)) for value in self.rooms),
            *(("day", value.isoformat()) for value in self.days),
        ]

    def __bool__(self):
        return bool(self.tracks or self.rooms or self.days)


def event_days(event):
    """Return the local dates the event spans, first to last (an end at midnight ends the day before)."""
    zone = event_zone(event.timezone)
    first = event.starts_at.astimezone(zone).date()
    last = (event.ends_at - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def day_bounds(day, zone):
    """Return the aware start and end (next local midnight) of a local date."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def _ids(name, values):
    ids = [as_id(value) for value in values]
    for value, read in zip(values, ids, strict=True):
        if read is None:
            raise FilterError(f"{name} must be the id of a {name} (a positive whole number), not {value!r}.")
    return tuple(sorted(set(ids)))


def parse_filter(query, event, *, allowed=()):
    """Return the ScheduleFilter of the query parameters; raise FilterError for anything else.

    ``allowed`` names further parameters the caller reads itself. A
    parameter may be repeated or hold a comma-separated list; an empty value
    filters nothing.
    """
    unknown = sorted(set(query) - set(FILTERS) - set(allowed))
    if unknown:
        raise FilterError(f"Unknown parameter {', '.join(unknown)}: the schedule is filtered by track, room and day.")
    # An empty value is no filter: a form's "All tracks" option sends track=.
    values = {
        name: [part.strip() for value in query.getlist(name) for part in value.split(",") if part.strip()]
        for name in FILTERS
    }
    days = event_days(event)
    chosen = []
    for value in values["day"]:
        try:
            day = date.fromisoformat(value) if DAY_FORMAT.match(value) else None
        except ValueError:
            day = None
        if day is None:
            raise FilterError(f"day must be a date as YYYY-MM-DD, not {value!r}.")
        if day not in days:
            raise FilterError(f"{day} is not a day of this event ({days[0]} to {days[-1]}).")
        chosen.append(day)
    return ScheduleFilter(
        tracks=_ids("track", values["track"]),
        rooms=_ids("room", values["room"]),
        days=tuple(sorted(set(chosen))),
    )


def schedule_state(event):
    """Return (counters, last modified) of what the event's schedule shows; one query (the counters).

    The event's own row was loaded by the door: its version and updated_at come free.
    """
    # The public counters: an edit of a draft session or a hidden ticket does not move the schedule.
    resources = event_resources()
    keys = [resources[name].key(event.pk, public=True) for name in SCHEDULE_LISTS]
    values, changed_at = read_counters_with_times(keys)
    last_modified = max(filter(None, [changed_at, event.updated_at]))
    return (event.version, *values.values()), last_modified


def public_sessions(event):
    """Return the sessions of the event the public may see (confirmed and cancelled)."""
    return Session.objects.filter(event=event, state__in=Session.PUBLIC_STATES)


def with_speakers(sessions, event):
    """Prefetch the sessions' speakers from the event's own, by name.

    Named by their event, PostgreSQL reads them through its index; joined to the
    sessions alone, it scanned the speakers of every event of the site.
    """
    return sessions.prefetch_related(Prefetch("speakers", queryset=Speaker.objects.filter(event=event)))


@dataclass
class Day:
    index: int
    date: date
    start: datetime
    end: datetime
    sessions: list = field(default_factory=list)


@dataclass
class Schedule:
    """The sessions of one event after a filter, with what every format needs to show them."""

    event: object
    zone: object
    filter: ScheduleFilter
    tracks: list
    rooms: list
    sessions: list
    days: list

    def rooms_of(self, day):
        """Return [(room name, room or None, sessions)] of a day, in the event's room order; "No room" last."""
        by_room = {}
        for session in day.sessions:
            by_room.setdefault(session.microlocation_id, []).append(session)
        found = [(room.name, room, by_room[room.pk]) for room in self.rooms if room.pk in by_room]
        if None in by_room:
            found.append((NO_ROOM, None, by_room[None]))
        return found


def load_schedule(event, schedule_filter, *, sessions=None):
    """Return the Schedule of the event under the filter; four queries (tracks, rooms, sessions, speakers).

    Raises FilterError for a track or room id the event does not have.
    ``sessions`` narrows the sessions further (a queryset of the event's, e.g. one visitor's stars).
    """
    zone = event_zone(event.timezone)
    tracks, rooms = list(event.tracks.all()), list(event.microlocations.all())
    for name, wanted, existing in (("track", schedule_filter.tracks, tracks), ("room", schedule_filter.rooms, rooms)):
        missing = sorted(set(wanted) - {obj.pk for obj in existing})
        if missing:
            raise FilterError(f"This event has no {name} {', '.join(map(str, missing))}.")
    queryset = public_sessions(event) if sessions is None else sessions.filter(state__in=Session.PUBLIC_STATES)
    if schedule_filter.tracks:
        queryset = queryset.filter(track__in=schedule_filter.tracks)
    if schedule_filter.rooms:
        queryset = queryset.filter(microlocation__in=schedule_filter.rooms)
    if schedule_filter.days:
        within = Q()
        for day in schedule_filter.days:
            start, end = day_bounds(day, zone)
            within |= Q(starts_at__gte=start, starts_at__lt=end)
        queryset = queryset.filter(within)
    found = list(with_speakers(queryset.order_by("starts_at", "id"), event))
    by_id = {track.pk: track for track in tracks} | {("room", room.pk): room for room in rooms}
    for session in found:
        # Attach what was loaded already instead of letting each session read it again.
        session.event = event
        session.track = by_id.get(session.track_id)
        session.microlocation = by_id.get(("room", session.microlocation_id))
    return Schedule(
        event=event,
        zone=zone,
        filter=schedule_filter,
        tracks=tracks,
        rooms=rooms,
        sessions=found,
        days=_days(event, zone, schedule_filter, found),
    )


def _days(event, zone, schedule_filter, sessions):
    """Group the sessions by the local date they start on; every day of the event is there (or the chosen ones)."""
    all_days = sorted(set(event_days(event)) | {session.starts_at.astimezone(zone).date() for session in sessions})
    shown = schedule_filter.days or all_days
    days = {day: Day(all_days.index(day) + 1, day, *day_bounds(day, zone)) for day in shown}
    for session in sessions:
        local_day = session.starts_at.astimezone(zone).date()
        if local_day in days:
            days[local_day].sessions.append(session)
    return [days[day] for day in shown]


# --- names and addresses every format shares ---------------------------------------------------


def site_host():
    """The host of the configured site: the domain of calendar UIDs."""
    return re.sub(r"^[a-z]+://", "", settings.SITE_URL).split("/")[0].split(":")[0] or "localhost"


def session_url(event, session_id):
    return absolute_reverse("public:session", event.slug, session_id)


def speaker_url(event, speaker_id):
    return absolute_reverse("public:speaker", event.slug, speaker_id)


def stable_uuid(url):
    """A UUID that stays the same for the same address (frab's guid)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, url))


def track_slug(track):
    """A slug for a track that the frab formats accept: a letter first, letters, digits and hyphens."""
    slug = slugify(track.name).replace("_", "-").strip("-")
    return slug if slug[:1].isalpha() and len(slug) > 1 else f"track-{track.pk}"


def acronym(event):
    """The event's slug as the frab formats want it: lowercase letters, digits and underscores, four or more."""
    return re.sub(r"[^a-z0-9_]", "_", event.slug.lower()).ljust(4, "_")


def session_slug(event, session):
    """A frab slug: ``<acronym>-<id>-<title>``."""
    title = slugify(session.title)[:50].strip("-_") or "session"
    return f"{acronym(event)}-{session.pk}-{title}"


def hours_minutes(delta):
    """Return a duration as H:MM (hours as many as needed), e.g. 01:30."""
    minutes = max(0, int(delta.total_seconds() // 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
