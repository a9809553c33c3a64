"""The public reads the speakers of public sessions only, through the API as on the speaker's page.

Finding (an attacker's probe): a speaker booked only for a draft session ("Unannounced Star", with a bio)
was listed and readable by anyone through /api/v1/events/{id}/speakers/, while the speaker's page and the
feeds kept them hidden.
"""

import pytest

from events.models import Event, Session
from events.tests.factories import EventFactory, SessionFactory, SpeakerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    event = EventFactory(state=Event.PUBLISHED)
    announced, unannounced = SpeakerFactory(event=event, name="Ada"), SpeakerFactory(event=event, name="Star")
    SpeakerFactory(event=event, name="Nobody yet")
    SessionFactory(event=event, title="Talk").speakers.set([announced])
    SessionFactory(event=event, title="Secret keynote", state=Session.DRAFT).speakers.set([unannounced])
    SessionFactory(event=event, title="Withdrawn", state=Session.CANCELLED).speakers.set([announced])
    return event


def names(response):
    return [speaker["name"] for speaker in response.json()["results"]]


def url(event, speaker=None):
    return f"/api/v1/events/{event.pk}/speakers/" + (f"{speaker.pk}/" if speaker else "")


def test_the_public_lists_and_reads_speakers_of_public_sessions_only(api_for, event):
    public = api_for(None)

    assert names(public.get(url(event))) == ["Ada"]
    star = event.speakers.get(name="Star")
    assert public.get(url(event, star)).status_code == 404
    assert public.get(url(event, event.speakers.get(name="Ada"))).status_code == 200


def test_the_team_reads_every_speaker(api_for, event):
    assert names(api_for(event.created_by).get(url(event))) == ["Ada", "Nobody yet", "Star"]


def test_the_public_list_changes_its_etag_when_a_session_makes_a_speaker_public(api_for, event):
    public = api_for(None)
    before = public.get(url(event))
    assert public.get(url(event), HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304

    draft = event.sessions.get(title="Secret keynote")
    draft.state = Session.CONFIRMED
    draft.save()

    after = public.get(url(event), HTTP_IF_NONE_MATCH=before["ETag"])
    assert (after.status_code, names(after)) == (200, ["Ada", "Star"])
