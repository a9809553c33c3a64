"""The cases the door tests share: how to make, create and change an object of each service."""

from datetime import timedelta

from events.tests.factories import (
    MicrolocationFactory,
    SessionFactory,
    SpeakerFactory,
    SponsorFactory,
    TrackFactory,
)


def session_payload(event):
    return {
        "title": "New session",
        "starts_at": (event.starts_at + timedelta(hours=2)).isoformat(),
        "ends_at": (event.starts_at + timedelta(hours=3)).isoformat(),
    }


# service -> (URL segment, factory, payload for create/update)
SERVICE_CASES = {
    "track": ("tracks", TrackFactory, lambda event: {"name": "New track"}),
    "session": ("sessions", SessionFactory, session_payload),
    "speaker": ("speakers", SpeakerFactory, lambda event: {"name": "New speaker"}),
    "sponsor": ("sponsors", SponsorFactory, lambda event: {"name": "New sponsor"}),
    "microlocation": ("microlocations", MicrolocationFactory, lambda event: {"name": "New room"}),
}
