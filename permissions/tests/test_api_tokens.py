"""Personal API tokens: hashed at rest and shown once, scopes that narrow the roles (never widen), an event limit,
expiry, last use written at most once a minute, revoking; the legacy token kept until revoked."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.tests.factories import PASSWORD, UserFactory, token_client
from events.models import Event, Track
from events.tests.factories import EventFactory, TrackFactory
from permissions.authentication import ApiTokenAuthentication
from permissions.models import ApiToken
from permissions.names import COORGANIZER, MODERATOR
from permissions.tests.factories import EventRoleFactory
from permissions.tokens import create_token

pytestmark = pytest.mark.django_db
TOKENS = "/api/v1/auth/tokens/"


def make(user, scopes, **kwargs):
    return create_token(user=user, name="script", scopes=scopes, **kwargs)


@pytest.fixture
def event():
    return EventFactory()


@pytest.fixture
def organizer(event):
    return event.created_by


def test_a_token_made_through_the_api_shows_its_key_once_and_stores_its_hash(api_for, organizer, event):
    answer = api_for(organizer).post(
        TOKENS, {"name": "CI", "scopes": ["track:write", "session:read"], "event": event.pk}, format="json"
    )
    assert answer.status_code == 201
    body = answer.json()
    key = body.pop("key")
    token = ApiToken.objects.get()
    assert body == {
        "id": token.pk,
        "name": "CI",
        "prefix": key[:12],
        "scopes": ["track:write", "session:read"],
        "event": event.pk,
        "expires_at": None,
        "last_used_at": None,
        "created_at": body["created_at"],
    }
    assert (key[:4], len(key)) == ("oet_", 44)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = [str(value) for value in ApiToken.objects.values_list(*[f.attname for f in ApiToken._meta.fields]).get()]
    assert not any(key in value for value in stored)
    listed = api_for(organizer).get(TOKENS).json()["results"]
    assert [sorted(item) for item in listed] == [sorted(body)]  # no key in the list
    assert api_for(organizer).get(f"{TOKENS}{token.pk}/").json() == {**body, "created_at": listed[0]["created_at"]}


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"name": "x", "scopes": ["track:admin"]}, {"scopes": {"0": ['"track:admin" is not a valid choice.']}}),
        ({"name": "x", "scopes": []}, {"scopes": ["This list may not be empty."]}),
        ({"name": "x", "scopes": ["track:read"], "key": "oet_mine"}, {"key": ["Unknown field."]}),
        (
            {"name": "x", "scopes": ["track:read"], "expires_at": "2000-01-01T00:00:00Z"},
            {"expires_at": ["Give a time in the future (or null: the token does not expire)."]},
        ),
    ],
)
def test_bad_token_input_is_a_400_naming_the_field(api_for, organizer, data, errors):
    answer = api_for(organizer).post(TOKENS, data, format="json")
    assert (answer.status_code, answer.json()) == (400, errors)
    assert ApiToken.objects.count() == 0


def test_the_list_refuses_a_query_parameter_it_does_not_read(api_for, organizer):
    """Attacker's probe: every list refused unknown query parameters but this one, which ignored them."""
    answer = api_for(organizer).get(TOKENS, {"bogus": "1"})
    assert (answer.status_code, answer.json()) == (400, {"bogus": ["Unknown query parameter."]})
    assert api_for(organizer).get(TOKENS, {"page": "1"}).status_code == 200


def test_a_token_may_not_be_limited_to_an_event_of_someone_else(api_for, organizer):
    other = EventFactory()
    answer = api_for(organizer).post(TOKENS, {"name": "x", "scopes": ["track:read"], "event": other.pk}, format="json")
    assert (answer.status_code, answer.json()) == (
        400,
        {"event": [f'Invalid pk "{other.pk}" - object does not exist.']},
    )


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "bearer"])
def test_a_personal_token_authenticates_under_token_or_bearer(organizer, event, keyword):
    _token, key = make(organizer, ["event:read"])
    answer = token_client(key, keyword).get(f"/api/v1/events/{event.pk}/")
    assert (answer.status_code, answer.json()["id"]) == (200, event.pk)


def test_authentication_reads_one_row_and_writes_last_use_at_most_once_a_minute(organizer, django_assert_num_queries):
    token, key = make(organizer, ["event:read"])
    auth = ApiTokenAuthentication()
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        with django_assert_num_queries(2):  # the token with its owner, then the first use written
            user, found = auth.authenticate_personal(key)
        assert (user, found.pk) == (organizer, token.pk)
    token.refresh_from_db()
    assert token.last_used_at == start
    # Within the minute: nothing written.
    with time_machine.travel(start + timedelta(seconds=59), tick=False), django_assert_num_queries(1):
        auth.authenticate_personal(key)
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=60), tick=False), django_assert_num_queries(2):
        auth.authenticate_personal(key)
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(seconds=60)


def test_unknown_expired_and_revoked_tokens_are_refused_with_401(organizer, event, api_for):
    url = f"/api/v1/events/{event.pk}/"
    unknown = token_client("oet_" + "x" * 40).get(url)
    assert (unknown.status_code, unknown.json()["detail"]) == (401, "Invalid token.")
    expired, key = make(organizer, ["event:read"], expires_at=timezone.now() + timedelta(days=1))
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        answer = token_client(key).get(url)
    assert (answer.status_code, answer.json()["detail"]) == (401, "This token has expired.")
    assert token_client(key).get(url).status_code == 200
    assert api_for(organizer).delete(f"{TOKENS}{expired.pk}/").status_code == 204
    revoked = token_client(key).get(url)
    assert (revoked.status_code, revoked.json()["detail"]) == (401, "Invalid token.")
    assert ApiToken.objects.count() == 0


def test_scopes_narrow_what_the_roles_allow(organizer, event):
    track = TrackFactory(event=event)
    _token, key = make(organizer, ["track:read"])
    api = token_client(key)
    base = f"/api/v1/events/{event.pk}"
    assert api.get(f"{base}/tracks/").json()["count"] == 1
    assert api.get(f"{base}/tracks/{track.pk}/").status_code == 200
    refused = api.post(f"{base}/tracks/", {"name": "New"}, format="json")
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "You do not have permission to do this in this event."},
    )
    assert api.patch(f"{base}/tracks/{track.pk}/", {"name": "Renamed"}, format="json").status_code == 403
    assert api.delete(f"{base}/tracks/{track.pk}/").status_code == 403
    assert api.get(f"{base}/sessions/").status_code == 403  # no session scope
    # No event scope: the event itself is an object the token may not read, so it does not exist for it.
    for answer in (api.patch(f"{base}/", {"name": "Renamed"}, format="json"), api.post(f"{base}/publish/")):
        assert (answer.status_code, answer.json()) == (404, {"detail": "No such object."})
    assert (
        api.post(f"{base}/webhooks/", {"url": "https://x.example.org/", "kinds": []}, format="json").status_code == 403
    )
    assert api.get(f"{base}/orders/").status_code == 403
    assert list(Track.objects.values_list("name", flat=True)) == [track.name]
    assert Event.objects.get().name == event.name


def test_a_write_scope_allows_writes_the_roles_allow(organizer, event):
    _token, key = make(organizer, ["track:write"])
    answer = token_client(key).post(f"/api/v1/events/{event.pk}/tracks/", {"name": "Main"}, format="json")
    assert answer.status_code == 201
    assert list(Track.objects.values_list("name", flat=True)) == ["Main"]


def test_a_token_never_widens_the_roles(event):
    moderator = UserFactory()
    EventRoleFactory(user=moderator, event=event, role=MODERATOR)
    _token, key = make(moderator, ["track:write", "team:write", "event:write"])
    api = token_client(key)
    base = f"/api/v1/events/{event.pk}"
    assert api.get(f"{base}/tracks/").status_code == 200  # the role reads tracks
    assert api.post(f"{base}/tracks/", {"name": "Mine"}, format="json").status_code == 403
    assert api.patch(f"{base}/", {"name": "Mine"}, format="json").status_code == 403
    assert api.get(f"{base}/roles/").status_code == 403
    assert Track.objects.count() == 0


def test_a_token_of_a_superuser_is_narrowed_too(event):
    admin = UserFactory(is_superuser=True, is_staff=True)
    _token, key = make(admin, ["track:read"])
    api = token_client(key)
    assert api.get(f"/api/v1/events/{event.pk}/tracks/").status_code == 200
    assert api.post(f"/api/v1/events/{event.pk}/tracks/", {"name": "X"}, format="json").status_code == 403
    assert api.get(f"/api/v1/events/{event.pk}/sessions/").status_code == 403


def test_an_event_limited_token_finds_no_other_event(api_for, organizer, event):
    published = EventFactory(created_by=organizer, state=Event.PUBLISHED)
    _token, key = make(organizer, ["event:read", "track:read"], event=event)
    api = token_client(key)
    assert api.get(f"/api/v1/events/{event.pk}/").status_code == 200
    for url in (f"/api/v1/events/{published.pk}/", f"/api/v1/events/{published.pk}/tracks/"):
        answer = api.get(url)
        assert (answer.status_code, answer.json()) == (404, {"detail": "No such event."})
    assert [item["id"] for item in api.get("/api/v1/me/events/").json()["results"]] == [event.pk]
    # Without the limit, both.
    _token, key = make(organizer, ["event:read"])
    assert sorted(item["id"] for item in token_client(key).get("/api/v1/me/events/").json()["results"]) == sorted(
        [event.pk, published.pk]
    )
    # Without a token (a session), both.
    assert sorted(item["id"] for item in api_for(organizer).get("/api/v1/me/events/").json()["results"]) == sorted(
        [event.pk, published.pk]
    )


def test_a_staff_token_limited_to_an_event_lists_that_event_only(event):
    EventFactory()
    staff = UserFactory(is_staff=True)
    EventRoleFactory(user=staff, event=event, role=COORGANIZER)
    _token, key = make(staff, ["event:read"], event=event)
    limited = token_client(key).get("/api/v1/events/")
    assert [item["id"] for item in limited.json()["results"]] == [event.pk]
    _token, key = make(staff, ["event:read"])
    everything = token_client(key).get("/api/v1/events/")
    assert everything.json()["count"] == 2
    assert limited["ETag"] != everything["ETag"]


def test_creating_an_event_needs_event_write_and_no_event_limit(organizer, event):
    data = {"name": "New", "slug": "new", "starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-02T10:00:00Z"}
    for scopes, limit in ((["event:read"], None), (["event:write"], event)):
        _token, key = make(organizer, scopes, event=limit)
        assert token_client(key).post("/api/v1/events/", data, format="json").status_code == 403
    _token, key = make(organizer, ["event:write"])
    assert token_client(key).post("/api/v1/events/", data, format="json").status_code == 201
    assert sorted(Event.objects.values_list("name", flat=True)) == sorted([event.name, "New"])


def test_a_token_makes_no_token_broader_than_itself(organizer, event):
    parent, key = make(
        organizer, ["track:read", "session:write"], event=event, expires_at=timezone.now() + timedelta(days=7)
    )
    api = token_client(key)
    within = timezone.now() + timedelta(days=1)
    refusals = [
        {"name": "x", "scopes": ["track:write"], "event": event.pk, "expires_at": within.isoformat()},
        {"name": "x", "scopes": ["speaker:read"], "event": event.pk, "expires_at": within.isoformat()},
        {"name": "x", "scopes": ["track:read"], "event": None, "expires_at": within.isoformat()},
    ]
    for data in refusals:
        answer = api.post(TOKENS, data, format="json")
        assert (answer.status_code, answer.json()) == (
            400,
            {"non_field_errors": ["A token can only make tokens that reach no more than it does."]},
        )
    later = api.post(TOKENS, {"name": "x", "scopes": ["track:read"], "event": event.pk}, format="json")
    assert (later.status_code, later.json()) == (
        400,
        {"expires_at": ["A token can only make tokens that expire no later than it does."]},
    )
    made = api.post(
        TOKENS,
        {
            "name": "child",
            "scopes": ["track:read", "session:read"],
            "event": event.pk,
            "expires_at": within.isoformat(),
        },
        format="json",
    )
    assert made.status_code == 201
    assert ApiToken.objects.count() == 2
    # It sees itself and the narrower one, not a broader one of its owner; it revokes no broader one.
    broader, _key = make(organizer, ["team:read"])
    assert sorted(item["name"] for item in api.get(TOKENS).json()["results"]) == ["child", "script"]
    assert api.delete(f"{TOKENS}{broader.pk}/").status_code == 404
    assert api.delete(f"{TOKENS}{parent.pk}/").status_code == 204


def test_tokens_of_others_are_404(api_for, organizer):
    token, _key = make(UserFactory(), ["track:read"])
    assert api_for(organizer).get(f"{TOKENS}{token.pk}/").status_code == 404
    assert api_for(organizer).delete(f"{TOKENS}{token.pk}/").status_code == 404
    assert ApiToken.objects.count() == 1


def test_the_legacy_token_keeps_working_until_revoked(organizer, event):
    anonymous = APIClient()
    first = anonymous.post("/api/v1/auth/token/", {"username": organizer.email, "password": PASSWORD})
    again = anonymous.post("/api/v1/auth/token/", {"username": organizer.email, "password": PASSWORD})
    key = first.json()["token"]
    assert again.json() == {"token": key}  # the same key on every POST
    legacy = token_client(key)
    assert legacy.patch(f"/api/v1/events/{event.pk}/", {"name": "Full access"}, format="json").status_code == 200
    assert token_client(key, "Bearer").get(f"/api/v1/events/{event.pk}/").status_code == 200
    # A personal token may not revoke it; the legacy token itself may.
    _token, personal = make(organizer, ["event:write"])
    refused = token_client(personal).delete("/api/v1/auth/token/")
    assert refused.status_code == 403
    assert legacy.delete("/api/v1/auth/token/").status_code == 204
    assert Token.objects.count() == 0
    assert legacy.get(f"/api/v1/events/{event.pk}/").status_code == 401
    renewed = anonymous.post("/api/v1/auth/token/", {"username": organizer.email, "password": PASSWORD})
    assert renewed.json()["token"] not in (key, None)


def test_revoking_the_legacy_token_needs_authentication():
    answer = APIClient().delete("/api/v1/auth/token/")
    assert answer.status_code == 401


def test_new_tokens_are_rate_limited_per_user(api_for, organizer):
    api = api_for(organizer)
    statuses = [
        api.post(TOKENS, {"name": f"t{n}", "scopes": ["track:read"]}, format="json").status_code for n in range(31)
    ]
    assert statuses == [201] * 30 + [429]
    assert api.get(TOKENS).status_code == 200


def test_a_stale_authorization_header_does_not_stop_a_log_in(organizer):
    answer = token_client("0" * 40).post("/api/v1/auth/token/", {"username": organizer.email, "password": PASSWORD})
    assert answer.status_code == 200
    assert answer.json() == {"token": Token.objects.get(user=organizer).key}
