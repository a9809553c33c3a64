"""The team's rules hold under concurrency: real requests to a real server on PostgreSQL, at the same moment.

A gunicorn with two sync workers on the PostgreSQL test database. The test
holds the row locks the requests will meet (the event's organizer roles, the
invite) until both requests wait on them, so both have passed every check made
before their first lock; then it lets go. Without the service's locks
(permissions/services.py) the first race leaves the event without an organizer
and the second grants the role twice or answers the loser with a stale-write
error. SQLite serializes writers on the whole database, so these run only in
the PostgreSQL + Redis pass.
"""

import re

import pytest
import requests
from rest_framework.authtoken.models import Token

from core.tests.factories import UserFactory
from core.tests.live import RACES_ON_POSTGRES, daphne_env, race_behind_row_locks, session_cookie
from core.tests.processes import Gunicorn
from events.tests.factories import EventFactory
from permissions.models import EventRole, RoleInvite
from permissions.names import COORGANIZER, ORGANIZER
from permissions.services import invite
from permissions.tests.factories import EventRoleFactory

pytestmark = [pytest.mark.faults, *RACES_ON_POSTGRES, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def web(settings, tmp_path):
    """Two sync workers behind one port: a worker waiting on a row leaves the next request to the other."""
    with Gunicorn(env=daphne_env(settings, tmp_path), log_path=tmp_path / "gunicorn.log", workers=2) as server:
        yield server


def test_two_organizers_removing_each_other_at_once_leave_one_organizer(settings, web):
    alice = UserFactory(email="alice@example.com")
    event = EventFactory(created_by=alice)
    bob = UserFactory(email="bob@example.com")
    bobs_role = EventRoleFactory(event=event, user=bob, role=ORGANIZER)
    alices_role = EventRole.objects.get(event=event, user=alice, role__name=ORGANIZER)
    tokens = {user: Token.objects.create(user=user).key for user in (alice, bob)}

    def remove(remover, role):
        url = web.url(f"/api/v1/events/{event.pk}/roles/{role.pk}/")
        response = requests.delete(url, headers={"Authorization": f"Token {tokens[remover]}"}, timeout=30)
        return response.status_code, response.content

    writes = [lambda: remove(alice, bobs_role), lambda: remove(bob, alices_role)]
    waited, results = race_behind_row_locks(settings, "permissions_eventrole", [alices_role.pk, bobs_role.pk], writes)

    assert waited == 2, "both removals should have waited on the organizers' rows at the same time"
    assert sorted(results) == [
        (204, b""),
        (400, b'{"non_field_errors":["An event needs at least one organizer: add another organizer first."]}'),
    ]
    remaining = list(EventRole.objects.filter(event=event).values_list("user__email", "role__name"))
    assert len(remaining) == 1
    assert remaining[0][1] == ORGANIZER
    # The winner removed the other one and kept their own role.
    winner = "alice@example.com" if results[0][0] == 204 else "bob@example.com"
    assert remaining == [(winner, ORGANIZER)]
    assert "Traceback" not in web.log_text()


def test_two_accepts_of_one_invite_grant_one_role(settings, web, django_capture_on_commit_callbacks):
    event = EventFactory()
    guest = UserFactory(email="guest@example.com", verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        role_invite, token = invite(event=event, email=guest.email, role_name=COORGANIZER, invited_by=event.created_by)
    url = web.url(f"/roles/invites/{token}/")
    cookie = session_cookie(guest)

    def prepared_accept():
        page = requests.get(url, headers={"Cookie": cookie}, timeout=30)
        page.raise_for_status()
        csrf = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[0]
        cookies = f"{cookie}; csrftoken={page.cookies['csrftoken']}"

        def accept():
            data = {"csrfmiddlewaretoken": csrf, "answer": "accept"}
            response = requests.post(url, data=data, headers={"Cookie": cookies}, allow_redirects=False, timeout=30)
            return response.status_code, response.headers.get("Location", ""), response.text

        return accept

    writes = [prepared_accept(), prepared_accept()]
    waited, results = race_behind_row_locks(settings, "permissions_roleinvite", [role_invite.pk], writes)
    results.sort()

    assert waited == 2, "both accepts should have waited on the invite's row at the same time"
    (accepted, location, _page), (refused, _nowhere, refusal) = results
    assert (accepted, location) == (302, f"/events/{event.pk}/")
    assert refused == 400
    assert "This invitation was already accepted." in refusal
    assert list(EventRole.objects.filter(user=guest).values_list("event_id", "role__name")) == [(event.pk, COORGANIZER)]
    assert RoleInvite.objects.get(pk=role_invite.pk).state == RoleInvite.ACCEPTED
    assert "Traceback" not in web.log_text()
