"""Two writers change (or delete) one ticket at the same moment with the same If-Match: one wins, the other gets 412.

A real gunicorn with two sync workers on the PostgreSQL test database: the
first request occupies one worker, the second goes to the other. The test
holds the ticket's row lock until both requests have passed their If-Match
check and wait on it, so they truly overlap; then it lets go.
"""

from functools import partial

import pytest
import requests
from rest_framework.authtoken.models import Token

from core.tests.factories import UserFactory
from core.tests.live import RACES_ON_POSTGRES, daphne_env, race_behind_row_locks
from core.tests.processes import Gunicorn
from events.tests.factories import EventFactory
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory

pytestmark = [pytest.mark.faults, *RACES_ON_POSTGRES, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def web(settings, tmp_path):
    """Two sync workers behind one port: a worker waiting on the row leaves the next request to the other."""
    with Gunicorn(env=daphne_env(settings, tmp_path), log_path=tmp_path / "gunicorn.log", workers=2) as server:
        yield server


def organizers_ticket(web, **fields):
    """A ticket "Regular" of an event whose organizer's token is in the headers: (ticket, headers, path, ETag)."""
    organizer = UserFactory()
    ticket = TicketFactory(event=EventFactory(created_by=organizer), name="Regular", **fields)
    headers = {"Authorization": f"Token {Token.objects.create(user=organizer).key}"}
    path = f"/api/v1/events/{ticket.event_id}/tickets/{ticket.pk}/"
    return ticket, headers, path, requests.get(web.url(path), headers=headers, timeout=10).headers["ETag"]


def race_behind_row_lock(settings, ticket, writes, **kwargs):
    """Hold the ticket's row lock while the writes start; see race_behind_row_locks."""
    return race_behind_row_locks(settings, "tickets_ticket", [ticket.pk], writes, **kwargs)


def test_concurrent_if_match_writes_one_wins_one_gets_412(settings, web):
    ticket, headers, path, etag = organizers_ticket(web)

    def write(name):
        response = requests.patch(web.url(path), json={"name": name}, headers={**headers, "If-Match": etag}, timeout=30)
        return name, response.status_code, response.json()

    writes = [partial(write, f"Renamed by {n}") for n in range(2)]
    waited, results = race_behind_row_lock(settings, ticket, writes)
    results.sort(key=lambda result: result[1])

    assert waited == 2, "both writers should have waited on the row at the same time"
    (winner, won, body), (_loser, lost, refusal) = results
    assert (won, lost) == (200, 412)
    assert refusal["detail"] == "The resource has changed since you last read it (If-Match does not match)."
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.name, stored.version) == (winner, ticket.version + 1)
    assert body["version"] == ticket.version + 1


def test_concurrent_writes_without_if_match_both_succeed_one_after_the_other(settings, web):
    """No If-Match means no precondition: the second writer waits for the first and keeps both changes."""
    ticket, headers, path, _etag = organizers_ticket(web, description="")
    changes = [{"name": "Renamed"}, {"description": "Described"}]

    def write(change):
        return requests.patch(web.url(path), json=change, headers=headers, timeout=30).status_code

    writes = [partial(write, change) for change in changes]
    waited, statuses = race_behind_row_lock(settings, ticket, writes)

    assert waited == 2
    assert statuses == [200, 200]
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.name, stored.description, stored.version) == ("Renamed", "Described", ticket.version + 2)


def test_concurrent_deletes_with_one_if_match_one_204_one_412(settings, web):
    """Both pass If-Match against the same version; the version claim lets one delete and refuses the other."""
    ticket, headers, path, etag = organizers_ticket(web)

    def delete():
        response = requests.delete(web.url(path), headers={**headers, "If-Match": etag}, timeout=30)
        return response.status_code, response.content

    waited, results = race_behind_row_lock(settings, ticket, [delete, delete])
    results.sort()

    assert waited == 2, "both deletes should have waited on the row at the same time"
    (deleted, body), (refused, refusal) = results
    assert (deleted, body) == (204, b"")
    assert refused == 412
    assert refusal == b'{"detail":"The resource has changed since you last read it (If-Match does not match)."}'
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert "Traceback" not in web.log_text()


@pytest.mark.parametrize("first", ["PATCH", "DELETE"])
def test_a_patch_and_a_delete_with_one_if_match_one_wins_one_gets_412(settings, web, first):
    """Both pass If-Match against the same version; whichever takes the row first wins, the other gets 412:
    a DELETE after the PATCH would delete a version its client never saw."""
    ticket, headers, path, etag = organizers_ticket(web)
    writes = {
        "PATCH": partial(requests.patch, web.url(path), json={"name": "Renamed"}),
        "DELETE": partial(requests.delete, web.url(path)),
    }

    def write(method):
        return method, writes[method](headers={**headers, "If-Match": etag}, timeout=30).status_code

    order = [first, *(method for method in writes if method != first)]
    waited, results = race_behind_row_lock(
        settings, ticket, [partial(write, method) for method in order], in_order=True
    )

    assert waited == 2, "both writes should have waited on the row at the same time"
    won = {"PATCH": 200, "DELETE": 204}[first]
    assert results == [(first, won), (order[1], 412)]
    stored = list(Ticket.objects.filter(pk=ticket.pk).values_list("name", "version"))
    assert stored == ([("Renamed", ticket.version + 1)] if first == "PATCH" else [])
    assert "Traceback" not in web.log_text()
