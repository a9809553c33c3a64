"""A token request to an event: the token's user and the event (with that user's grants) read in one statement.

The token's lookup and the engine's query are the two halves of one statement
(core.precompiled.PrecompiledPair); the engine's half names the user by the
token's key instead of waiting for the first answer (benchmarks/README.md).
Every answer stays what it was: a wrong, inactive or expired token is a 401,
an event outside the token's reach a 404, and the roles and scopes decide.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from core.tests.factories import UserFactory, token_client
from events.models import Event, Track
from events.tests.factories import EventFactory, TrackFactory
from permissions.names import MODERATOR
from permissions.tests.factories import EventRoleFactory
from permissions.tokens import create_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["built at import", "built anew"])
def token_queries(request, monkeypatch):
    """Each test runs on the queries the process built at import, and on ones built for the test (so a change
    to how they are built shows here even where the import-time ones were built before it, as under mutmut)."""
    if request.param == "built anew":
        from permissions import authentication

        legacy, personal = authentication._event_queries()
        monkeypatch.setattr(authentication, "_EVENT_BY_LEGACY_KEY", legacy)
        monkeypatch.setattr(authentication, "_EVENT_BY_PERSONAL_KEY", personal)


def legacy_key(user):
    return Token.objects.create(user=user).key


def personal_key(user, scopes=("event:read", "track:write"), **kwargs):
    return create_token(user=user, name="CI", scopes=list(scopes), **kwargs)[1]


class Statements:
    """Each statement the request sends."""

    def __init__(self):
        self.seen = []

    def __call__(self, execute, sql, params, many, context):
        self.seen.append(sql)
        return execute(sql, params, many, context)


@pytest.mark.parametrize(
    ("make_key", "table"),
    [(legacy_key, "authtoken_token"), (personal_key, "permissions_apitoken")],
    ids=["legacy token", "personal token"],
)
def test_a_304_of_an_event_reads_token_and_event_by_the_key(make_key, table):
    organizer = UserFactory()
    event = EventFactory(created_by=organizer, name="Pipelined")
    api = token_client(make_key(organizer))
    etag = api.get(f"/api/v1/events/{event.pk}/")["ETag"]
    statements = Statements()

    with connection.execute_wrapper(statements):
        response = api.get(f"/api/v1/events/{event.pk}/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    [statement] = statements.seen
    token_lookup, engine = statement.split(" LEFT JOIN ")
    assert token_lookup.startswith('SELECT * FROM (SELECT "auth_user"."id"') and table in token_lookup
    # The event by its id, the grants of the user the key names.
    assert engine.startswith('(SELECT "events_event"."id"') and engine.endswith(
        '"events_event"."id" = %s LIMIT 1) AS pair_right ON TRUE'
    )
    assert f'FROM "{table}"' in engine


def test_a_request_without_an_event_in_its_url_reads_the_token_alone(django_assert_num_queries):
    api = token_client(legacy_key(UserFactory()))
    with django_assert_num_queries(3) as captured:  # the token's user; the counter (ETag) and the unread count
        response = api.get("/api/v1/notifications/unread-count/")
    assert response.status_code == 200
    assert "events_event" not in captured.captured_queries[0]["sql"]


@pytest.mark.parametrize("make_key", [legacy_key, personal_key], ids=["legacy token", "personal token"])
def test_roles_decide_through_the_token(make_key):
    moderator, outsider = UserFactory(), UserFactory()
    event = EventFactory(name="Draft")
    EventRoleFactory(user=moderator, event=event, role=MODERATOR)
    track = TrackFactory(event=event, name="Main")
    url = f"/api/v1/events/{event.pk}/tracks/{track.pk}/"

    api = token_client(make_key(moderator))
    read = api.get(url)
    write = api.patch(url, {"name": "Renamed"}, format="json")
    unseen = token_client(make_key(outsider)).get(url)

    assert (read.status_code, read.json()["name"]) == (200, "Main")
    assert (write.status_code, write.json()) == (
        403,
        {"detail": "You do not have permission to do this in this event."},
    )
    assert (unseen.status_code, unseen.json()) == (404, {"detail": "No such event."})
    assert Track.objects.get(pk=track.pk).name == "Main"


def test_an_organizers_token_writes_and_the_row_changes():
    organizer = UserFactory()
    event = EventFactory(created_by=organizer)
    track = TrackFactory(event=event, name="Main")

    response = token_client(personal_key(organizer)).patch(
        f"/api/v1/events/{event.pk}/tracks/{track.pk}/", {"name": "Renamed"}, format="json"
    )

    assert (response.status_code, response.json()["name"]) == (200, "Renamed")
    assert Track.objects.get(pk=track.pk).name == "Renamed"


@pytest.mark.parametrize(
    ("key", "detail"),
    [("0" * 40, "Invalid token."), ("oet_" + "x" * 40, "Invalid token.")],
    ids=["unknown legacy token", "unknown personal token"],
)
def test_an_unknown_token_to_an_event_is_401(key, detail):
    event = EventFactory(state=Event.PUBLISHED)
    response = token_client(key).get(f"/api/v1/events/{event.pk}/")
    assert (response.status_code, response.json()) == (401, {"detail": detail})


def test_an_inactive_users_token_to_an_event_is_401():
    user = UserFactory()
    event = EventFactory(created_by=user)
    key = legacy_key(user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    response = token_client(key).get(f"/api/v1/events/{event.pk}/")
    assert (response.status_code, response.json()) == (401, {"detail": "User inactive or deleted."})


def test_an_expired_token_to_an_event_is_401():
    user = UserFactory()
    event = EventFactory(created_by=user)
    key = personal_key(user, expires_at=timezone.now() + timedelta(days=1))
    from permissions.models import ApiToken

    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = token_client(key).get(f"/api/v1/events/{event.pk}/")
    assert (response.status_code, response.json()) == (401, {"detail": "This token has expired."})


def test_a_token_limited_to_another_event_does_not_find_this_one():
    organizer = UserFactory()
    mine, other = EventFactory(created_by=organizer), EventFactory(created_by=organizer, name="Other")
    key = personal_key(organizer, event=other)

    assert token_client(key).get(f"/api/v1/events/{other.pk}/").json()["name"] == "Other"
    response = token_client(key).get(f"/api/v1/events/{mine.pk}/")
    assert (response.status_code, response.json()) == (404, {"detail": "No such event."})


@pytest.mark.parametrize("event_id", ["999999", "0", str(2**63)])
def test_an_event_that_does_not_exist_is_404_for_a_valid_token(event_id):
    response = token_client(legacy_key(UserFactory())).get(f"/api/v1/events/{event_id}/")
    assert (response.status_code, response.json()) == (404, {"detail": "No such event."})
