"""The team page offers a track limit only where a role can have one, labelled, and stacks on phones."""

import re

import pytest

from core.tests.factories import UserFactory
from events.tests.factories import EventFactory, TrackFactory
from permissions.tests.factories import EventRoleFactory

pytestmark = pytest.mark.django_db


def rows(page):
    return dict(re.findall(r'<tr class="stack-card" data-role="(\w+)">(.*?)</tr>', page, re.S))


def test_only_track_scoped_roles_show_the_track_limit_and_it_is_labelled(client):
    event = EventFactory()
    track = TrackFactory(event=event, name="Main")
    EventRoleFactory(user=UserFactory(), event=event, role="moderator", tracks=[track])
    client.force_login(event.created_by)
    found = rows(client.get(f"/roles/events/{event.pk}/team/").content.decode())

    assert '<fieldset class="mt-2" data-tracks hidden disabled>' in found["organizer"]
    assert '<fieldset class="mt-2" data-tracks>' in found["moderator"]
    assert '<legend class="form-label small mb-1">Limit to tracks' in found["moderator"]
    assert re.search(
        r'<input class="form-check-input" type="checkbox" [^>]* checked>\s*<label [^>]*>Main</label>',
        found["moderator"],
    )
    assert '<label class="form-label small mb-1" for="id_role-' in found["organizer"]
    assert "<select multiple" not in found["organizer"] + found["moderator"]
