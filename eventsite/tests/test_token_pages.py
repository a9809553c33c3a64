"""The account page "API tokens": make one (the key on that answer only), list them with their last use, revoke."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.tests.factories import UserFactory
from events.tests.factories import EventFactory
from permissions.models import ApiToken
from permissions.tokens import create_token, hash_key

pytestmark = pytest.mark.django_db
PAGE = "/accounts/tokens/"


def form(**extra):
    return {"name": "Export", "lifetime": "90", "event": "", **extra}


@pytest.fixture
def event():
    return EventFactory()


@pytest.fixture
def owner(event):
    return event.created_by


def test_the_page_needs_a_log_in(client):
    answer = client.get(PAGE)
    assert (answer.status_code, answer["Location"]) == (302, f"/accounts/login/?next={PAGE}")


def test_a_new_token_is_shown_once_with_the_access_chosen(client_for, owner, event):
    client = client_for(owner)
    before = timezone.now()
    answer = client.post(PAGE, form(scope_track="write", scope_session="read", event=str(event.pk)))
    assert answer.status_code == 200
    key = answer.context["new_key"]
    token = ApiToken.objects.get()
    assert (token.name, token.scopes, token.event, token.key_hash, token.prefix) == (
        "Export",
        ["track:write", "session:read"],
        event,
        hash_key(key),
        key[:12],
    )
    assert before + timedelta(days=90) <= token.expires_at <= timezone.now() + timedelta(days=90)
    assert key in answer.content.decode()
    assert answer["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    again = client.get(PAGE).content.decode()
    assert key not in again
    assert token.prefix in again
    assert "Tracks: read and write; Sessions: read" in again
    assert f"Only {event.name}" in again


def test_a_token_that_never_expires_for_all_events(client_for, owner):
    client_for(owner).post(PAGE, form(scope_event="read", lifetime="never"))
    token = ApiToken.objects.get()
    assert (token.scopes, token.event, token.expires_at) == (["event:read"], None, None)


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        (form(), None, "Give the token access to at least one part (read, or read and write)."),
        (form(name="", scope_track="read"), "name", "This field is required."),
        (form(scope_track="admin"), "scope_track", "Select a valid choice. admin is not one of the available choices."),
        (
            form(scope_track="read", lifetime="forever"),
            "lifetime",
            "Select a valid choice. forever is not one of the available choices.",
        ),
    ],
)
def test_bad_input_is_a_form_error_and_saves_nothing(client_for, owner, data, field, error):
    answer = client_for(owner).post(PAGE, data)
    assert answer.status_code == 200
    errors = answer.context["form"].errors
    assert errors == {field or "__all__": [error]}
    assert answer.context["new_key"] is None
    assert ApiToken.objects.count() == 0


def test_an_event_of_someone_else_is_not_offered(client_for, owner):
    other = EventFactory()
    answer = client_for(owner).post(PAGE, form(scope_track="read", event=str(other.pk)))
    assert answer.context["form"].errors == {
        "event": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert ApiToken.objects.count() == 0


def test_revoking_deletes_the_token_and_others_tokens_are_404(client_for, owner):
    mine, _key = create_token(user=owner, name="Mine", scopes=["track:read"])
    theirs, _key = create_token(user=UserFactory(), name="Theirs", scopes=["track:read"])
    client = client_for(owner)
    assert client.post(f"/accounts/tokens/{theirs.pk}/revoke/").status_code == 404
    answer = client.post(f"/accounts/tokens/{mine.pk}/revoke/", follow=True)
    assert answer.redirect_chain == [(PAGE, 302)]
    assert "The token “Mine” is revoked: its key no longer works." in answer.content.decode()
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["Theirs"]
    assert client.get(f"/accounts/tokens/{mine.pk}/revoke/").status_code == 405


@pytest.mark.parametrize("count", [1, 3])
def test_the_page_costs_the_same_queries_for_one_or_three_tokens(
    client_for, owner, event, count, django_assert_num_queries
):
    for number in range(count):
        create_token(user=owner, name=f"T{number}", scopes=["track:read"], event=event)
    client = client_for(owner)
    client.get(PAGE)  # the session is cached from here on
    # user, unread count, events offered, tokens with their events
    with django_assert_num_queries(4):
        answer = client.get(PAGE)
    assert answer.content.decode().count('class="stack-card"') == count


def test_new_tokens_from_the_page_are_rate_limited(client_for, owner):
    client = client_for(owner)
    statuses = [client.post(PAGE, form(scope_track="read")).status_code for _ in range(31)]
    assert statuses == [200] * 30 + [429]
    assert ApiToken.objects.count() == 30
