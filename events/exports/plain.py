"""The plain JSON of a schedule: what the schedule page renders, and a simple format for scripts.

Times are ISO 8601 with the event's UTC offset; ``day`` is the local date a
session belongs to. The page refetches it (with If-None-Match) when the
event socket says sessions, tracks, rooms or speakers changed.
"""

import json

from core.links import absolute_reverse

from ..schedule import event_days, session_url, speaker_url


def _session(schedule, session):
    event, zone = schedule.event, schedule.zone
    return {
        "id": session.pk,
        "title": session.title,
        "abstract": session.abstract,
        "state": session.state,
        "starts_at": session.starts_at.astimezone(zone).isoformat(),
        "ends_at": session.ends_at.astimezone(zone).isoformat(),
        "day": session.starts_at.astimezone(zone).date().isoformat(),
        "track": session.track_id,
        "room": session.microlocation_id,
        "speakers": [
            {"id": speaker.pk, "name": speaker.name, "url": speaker_url(event, speaker.pk)}
            for speaker in session.speakers.all()
        ],
        "url": session_url(event, session.pk),
        "ical_url": absolute_reverse("public:session-ics", event.slug, session.pk),
    }


def schedule_json(schedule, counters):
    """Return the plain JSON of the schedule (bytes)."""
    event = schedule.event
    document = {
        "event": {
            "id": event.pk,
            "name": event.name,
            "slug": event.slug,
            "timezone": schedule.zone.key,
            "starts_at": event.starts_at.astimezone(schedule.zone).isoformat(),
            "ends_at": event.ends_at.astimezone(schedule.zone).isoformat(),
            "url": absolute_reverse("public:schedule", event.slug),
        },
        "version": ".".join(str(value) for value in counters),
        "days": [
            {
                "index": day.index,
                "date": day.date.isoformat(),
                "start": day.start.isoformat(),
                "end": day.end.isoformat(),
            }
            for day in schedule.days
        ],
        "all_days": [day.isoformat() for day in event_days(event)],
        "tracks": [{"id": track.pk, "name": track.name, "color": track.color} for track in schedule.tracks],
        "rooms": [{"id": room.pk, "name": room.name} for room in schedule.rooms],
        "filter": {
            "track": list(schedule.filter.tracks),
            "room": list(schedule.filter.rooms),
            "day": [day.isoformat() for day in schedule.filter.days],
        },
        "sessions": [_session(schedule, session) for session in schedule.sessions],
    }
    return json.dumps(document, ensure_ascii=False).encode()
