"""Throttles and lock-outs. Findings: 30 wrong log-ins then the right password logged in; 100 wrong token
requests then the right one got a token; sign-ups, password resets and invites were not limited."""

import json

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from core.tests.factories import PASSWORD, UserFactory
from core.tests.time import time_travel
from events.models import PersonalSchedule
from events.tests.factories import EventFactory, SessionFactory, SpeakerFactory
from tickets.models import Order
from tickets.tests.factories import TicketFactory

pytestmark = [pytest.mark.django_db, pytest.mark.security]


def log_in(client, email, password):
    return client.post("/accounts/login/", {"username": email, "password": password})


def test_failed_log_ins_lock_the_address_and_user_out_even_for_the_right_password(client):
    user = UserFactory(email="grace@example.com")
    for _ in range(4):
        assert log_in(client, user.email, "wrong-password").status_code == 200  # the form's error
    assert log_in(client, user.email, "wrong-password").status_code == 429  # the fifth failure locks
    locked = log_in(client, user.email, PASSWORD)
    assert (locked.status_code, locked["Retry-After"]) == (429, "900")
    assert "Too many failed log-ins from here: try again in 15 minutes" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address may still log in as this user; after the cool-off this address may too.
    assert log_in(client, user.email, PASSWORD).status_code == 429
    other = type(client)(REMOTE_ADDR="10.0.0.9")
    assert log_in(other, user.email, PASSWORD).status_code == 302
    with time_travel(minutes=16):
        assert log_in(client, user.email, PASSWORD).status_code == 302


def test_failed_token_requests_lock_out_and_answer_json(client):
    user = UserFactory()
    api = APIClient()
    for _ in range(4):
        assert api.post("/api/v1/auth/token/", {"username": user.email, "password": "nope"}).status_code == 400
    assert api.post("/api/v1/auth/token/", {"username": user.email, "password": "nope"}).status_code == 429
    locked = api.post("/api/v1/auth/token/", {"username": user.email, "password": PASSWORD})
    assert (locked.status_code, locked["Content-Type"], locked["Retry-After"]) == (429, "application/json", "900")
    assert locked.json()["code"] == "throttled"


def test_the_token_endpoint_is_rate_limited_per_address(settings):
    user = UserFactory()
    api = APIClient()
    answers = [api.post("/api/v1/auth/token/", {"username": user.email, "password": PASSWORD}) for _ in range(11)]
    assert [answer.status_code for answer in answers] == [200] * 10 + [429]
    assert int(answers[-1]["Retry-After"]) > 0


def test_sign_ups_are_rate_limited_per_address(client):
    for number in range(10):
        form = {
            "email": f"person{number}@example.com",
            "first_name": "P",
            "last_name": "Q",
            "password1": "a-long-unique-passphrase",
            "password2": "a-long-unique-passphrase",
        }
        assert type(client)().post("/accounts/signup/", form).status_code == 302
    refused = type(client)().post("/accounts/signup/", {**form, "email": "eleventh@example.com"})
    assert refused.status_code == 429
    assert get_user_model().objects.count() == 10


def test_password_reset_requests_are_rate_limited(client, user):
    statuses = [client.post("/accounts/password_reset/", {"email": user.email}).status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]


def test_invites_through_the_api_are_rate_limited_per_user():
    event = EventFactory()
    api = APIClient()
    api.force_authenticate(event.created_by)
    url = f"/api/v1/events/{event.pk}/invites/"
    statuses = [api.post(url, {"email": f"x{n}@example.com", "role": "moderator"}).status_code for n in range(31)]
    assert statuses == [201] * 30 + [429]
    assert api.get(url).status_code == 200  # reading is not throttled


@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/v1/events/"])
def test_json_nested_too_deeply_is_a_json_400(url, user):
    api = APIClient()
    api.force_authenticate(user)
    response = api.generic("POST", url, "[" * 100_000, content_type="application/json")
    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert json.loads(response.content) == {"detail": "JSON parse error - the document is nested too deeply."}


@pytest.mark.parametrize("number", ["1e999", "-1e999", "NaN", "Infinity"])
def test_json_numbers_no_float_can_hold_are_a_json_400(number):
    speaker = SpeakerFactory(name="Ada")
    api = APIClient()
    api.force_authenticate(speaker.event.created_by)
    url = f"/api/v1/events/{speaker.event_id}/speakers/{speaker.pk}/"
    response = api.generic("PATCH", url, f'{{"name": {number}}}', content_type="application/json")
    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert json.loads(response.content)["detail"].startswith("JSON parse error - ")
    speaker.refresh_from_db()
    assert speaker.name == "Ada"


def test_orders_at_the_public_checkout_are_rate_limited_per_address(client):
    """Finding (an attacker's probe): anyone could hold every paid ticket for the payment days, order after order,
    and have the site email its order text to any address given."""
    event = EventFactory(state="published")
    ticket = TicketFactory(event=event, name="Free", quantity=1000)
    url = f"/e/{event.slug}/checkout/"
    statuses = []
    for number in range(31):
        visit = f"visit-{number:012d}"
        client.get(url, {"visit": visit, f"qty-{ticket.pk}": "1"})
        form = {f"qty-{ticket.pk}": "1", "visit": visit, "name": "N", "email": f"n{number}@example.org"}
        statuses.append(client.post(url, {**form, "attendee-0-name": "A"}).status_code)
    assert statuses == [302] * 30 + [429]
    assert Order.objects.count() == 30
    assert client.get(url, {f"qty-{ticket.pk}": "1"}).status_code == 302  # reading is not limited


def test_personal_schedules_are_rate_limited_per_address(client):
    """Finding (an attacker's probe): 150 personal feeds in 4.7 s from one address, without end."""
    session = SessionFactory(event=EventFactory(state="published"))
    url = f"/e/{session.event.slug}/schedule/my/"
    body = json.dumps({"sessions": [session.pk]})
    statuses = [client.post(url, body, content_type="application/json").status_code for _ in range(31)]
    assert statuses == [201] * 30 + [429]
    refused = client.post(url, body, content_type="application/json").json()  # the page's script reads JSON
    assert (sorted(refused), refused["code"]) == (["code", "detail"], "throttled")
    assert refused["detail"].startswith("Too many requests of this kind from here: try again in ")
    assert PersonalSchedule.objects.count() == 30
