"""A published event in Europe/Berlin over the end of summer time (Sunday 27 October 2030, 03:00 CEST -> 02:00 CET).

Three days, two rooms, two tracks, and the sessions every format must get
right: a cancelled one, one across midnight, one across the clock change,
one without room or track, and a draft that the public never sees.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from events.models import Event, Session
from events.tests.factories import (
    EventFactory,
    MicrolocationFactory,
    SessionFactory,
    SpeakerFactory,
    TrackFactory,
)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def berlin(day, hour, minute=0, fold=0):
    return datetime(2030, 10, day, hour, minute, tzinfo=BERLIN, fold=fold)


@dataclass
class World:
    event: object
    main: object
    workshops: object
    hall_a: object
    hall_b: object
    ada: object
    grace: object
    opening: object
    workshop: object
    cancelled: object
    late_party: object
    night_owls: object
    roomless: object
    draft: object

    @property
    def public(self):
        """The public sessions in schedule order."""
        return [self.opening, self.workshop, self.cancelled, self.late_party, self.night_owls, self.roomless]


def dst_conference(state=Event.PUBLISHED, slug="dst-conf"):
    event = EventFactory(
        name="DST Conf",
        slug=slug,
        location="Berlin",
        timezone="Europe/Berlin",
        starts_at=berlin(25, 9),
        ends_at=berlin(27, 18),
        state=state,
    )
    main = TrackFactory(event=event, name="Main", color="#ff0000")
    workshops = TrackFactory(event=event, name="Workshops", color="#00aa00")
    hall_a = MicrolocationFactory(event=event, name="Hall A")
    hall_b = MicrolocationFactory(event=event, name="Hall B")
    ada = SpeakerFactory(event=event, name="Ada Lovelace", bio="Wrote the first program.")
    grace = SpeakerFactory(event=event, name="Grace Hopper")

    def session(title, starts, ends, **fields):
        return SessionFactory(event=event, title=title, starts_at=starts, ends_at=ends, **fields)

    opening = session("Opening", berlin(25, 9), berlin(25, 10), track=main, microlocation=hall_a)
    opening.speakers.add(ada, grace)
    workshop = session("Workshop", berlin(25, 9, 30), berlin(25, 11), track=workshops, microlocation=hall_b)
    workshop.speakers.add(grace)
    cancelled = session(
        "Cancelled talk", berlin(26, 10), berlin(26, 11), track=main, microlocation=hall_a, state=Session.CANCELLED
    )
    late_party = session("Late party", berlin(26, 23, 30), berlin(27, 1), track=workshops, microlocation=hall_b)
    # 01:30 CEST (23:30 UTC on the 26th) to 03:30 CET (02:30 UTC): three hours, on the 27th.
    night_owls = session("Night owls", berlin(27, 1, 30), berlin(27, 3, 30), microlocation=hall_a)
    roomless = session("Hallway track", berlin(27, 12), berlin(27, 13), track=main)
    draft = session(
        "Secret draft", berlin(27, 10), berlin(27, 11), track=main, microlocation=hall_a, state=Session.DRAFT
    )
    return World(
        event,
        main,
        workshops,
        hall_a,
        hall_b,
        ada,
        grace,
        opening,
        workshop,
        cancelled,
        late_party,
        night_owls,
        roomless,
        draft,
    )
