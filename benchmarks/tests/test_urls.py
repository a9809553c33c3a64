"""The baselines of benchmarks/urls.py answer what the benchmarks assume they answer."""

import hashlib

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from benchmarks.harness import Row
from benchmarks.run import table
from events.tests.factories import EventFactory, SessionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("benchmarks.urls")]


@pytest.fixture
def api_and_path():
    """A client with a token (a fresh user object, so nothing memoised, per request) and a list path."""
    event = EventFactory()
    SessionFactory(event=event)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=event.created_by).key}")
    return api, f"/api/v1/events/{event.pk}/sessions/"


def test_bare_view_answers_a_constant_json_object(client):
    response = client.get("/bench/bare/")
    assert (response.status_code, response.json()) == (200, {"ok": True})


def test_body_hash_baseline_serves_the_api_body_with_its_md5_as_etag(api_and_path):
    api, path = api_and_path
    ours = api.get(path)
    hashed = api.get(f"/bench/hash{path}")
    assert hashed.status_code == 200
    assert hashed.content == ours.content
    assert hashed["ETag"] == f'"{hashlib.md5(hashed.content).hexdigest()}"'
    assert hashed["ETag"] != ours["ETag"]


def test_body_hash_baseline_answers_304_only_after_rendering(api_and_path, django_assert_num_queries):
    api, path = api_and_path
    etag = api.get(f"/bench/hash{path}")["ETag"]
    # token with the permissions and counters (one statement), page, speakers (no COUNT: one page)
    with django_assert_num_queries(3):
        assert api.get(f"/bench/hash{path}", headers={"If-None-Match": etag}).status_code == 304
    ours = api.get(path)["ETag"]
    with django_assert_num_queries(1):  # token, permissions and the list's counter: one statement
        assert api.get(path, headers={"If-None-Match": ours}).status_code == 304


def test_least_304_answers_as_the_api_does_for_a_token_with_one_statement(django_assert_num_queries):
    event = EventFactory()
    outsider = EventFactory().created_by
    api = APIClient()
    path = f"/bench/least304/{event.pk}/"
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=event.created_by).key}")
    first = api.get(path)
    assert (first.status_code, first.json()) == (200, {"id": event.pk})
    with django_assert_num_queries(1):  # the token's owner, the engine's query and the counters
        again = api.get(path, headers={"If-None-Match": first["ETag"]})
    assert (again.status_code, again["ETag"]) == (304, first["ETag"])
    event.name = "Renamed"
    event.save()  # a new version: a new ETag
    assert api.get(path, headers={"If-None-Match": first["ETag"]}).status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=outsider).key}")
    assert api.get(path).status_code == 404  # a draft of another team is not seen
    api.credentials(HTTP_AUTHORIZATION="Token not-a-key")
    assert api.get(path).status_code == 404


def test_table_shows_each_figure_with_its_baseline_and_ratio():
    rows = [Row("wizard", "save 50 tickets", 9, "queries", "one by one", 301, "lower")]
    assert table(rows).splitlines()[-1] == (
        "| 1 | wizard | save 50 tickets | 9 queries | one by one | 301 queries | 0.03x | lower |"
    )
