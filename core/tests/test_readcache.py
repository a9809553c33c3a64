"""The request path's reads kept in memory while nothing was written (core.readcache).

The write generation is shared by every process that names the same file;
a write through this stack moves it on once committed, and a kept answer is
only served while the generation it was read at is still the current one.
The suite runs with the cache off (READ_CACHE_FILE unset) except here; these
tests commit for real (transactional), as a server does.
"""

import contextlib
import http.client
import json
import multiprocessing
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core import conditional, readcache
from core.models import VersionCounter
from core.precompiled import PrecompiledQuery
from core.tests.factories import UserFactory, token_client
from core.tests.processes import Gunicorn, database_url, production_env
from events.tests.factories import EventFactory, SessionFactory, TrackFactory
from permissions.drf import EventServicePermission
from permissions.models import EventRole
from permissions.names import ORGANIZER
from permissions.tokens import create_token

COUNTER = PrecompiledQuery(lambda key: VersionCounter.objects.filter(key=key)[:1], str)


@pytest.fixture
def generation_file(settings, tmp_path):
    """Turn the cache on for this process, on a generation file of the test's own."""
    path = tmp_path / "run" / "write-generation"
    settings.READ_CACHE_FILE = str(path)  # a new cache (core.readcache.configure), on a new generation from 0
    conditional.kept_not_modified.clear()  # so no 304 kept by an earlier test at the same generation is given
    yield path
    conditional.kept_not_modified.clear()


@pytest.fixture
def another_process(generation_file):
    """The same file as another process maps it."""
    other = readcache.WriteGeneration(str(generation_file))
    yield other
    other.close()


def generation():
    return readcache._cache.generation.value()


@contextlib.contextmanager
def around_the_stack():
    """Write as a process without READ_CACHE_FILE does: no execute wrapper sees it, nothing moves the generation."""
    watching = connection.execute_wrappers[:]
    connection.execute_wrappers.clear()
    try:
        yield
    finally:
        connection.execute_wrappers.extend(watching)


def test_a_new_file_starts_at_zero_and_each_advance_is_seen_by_every_map(tmp_path):
    path = str(tmp_path / "deep" / "write-generation")
    first, second = readcache.WriteGeneration(path), readcache.WriteGeneration(path)
    try:
        assert (first.value(), second.value()) == (0, 0)
        first.advance()
        second.advance()
        assert (first.value(), second.value()) == (2, 2)
        # Another process, by its own map of the file.
        script = f"from core.readcache import WriteGeneration as G; g = G({path!r}); g.advance(); print(g.value())"
        printed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
        assert (printed.strip(), first.value()) == ("3", 3)
    finally:
        first.close()
        second.close()


def _advance_times(generation, times):
    for _ in range(times):
        generation.advance()


def test_processes_forked_with_the_file_open_lose_no_advance(tmp_path):
    """As gunicorn's workers, forked from a master that may have opened the file: each advance counts."""
    generation = readcache.WriteGeneration(str(tmp_path / "write-generation"))
    forked = [multiprocessing.get_context("fork").Process(target=_advance_times, args=(generation, 3000)) for _ in "ab"]
    for process in forked:
        process.start()
    _advance_times(generation, 3000)
    for process in forked:
        process.join(60)
    assert ([process.exitcode for process in forked], generation.value()) == ([0, 0], 9000)
    generation.close()


@pytest.mark.django_db(transaction=True)
def test_reads_leave_the_generation_and_each_committed_write_moves_it(generation_file):
    VersionCounter.objects.create(key="site.test.rc", value=1)
    start = generation()
    list(VersionCounter.objects.filter(key="site.test.rc"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM core_versioncounter WHERE key = %s", ["site.test.rc"])
    assert generation() == start

    with connection.cursor() as cursor:  # autocommit: committed when it returns
        cursor.execute("UPDATE core_versioncounter SET value = value + 1 WHERE key = %s", ["site.test.rc"])
    assert generation() == start + 1

    with transaction.atomic():
        for _ in range(3):
            VersionCounter.objects.filter(key="site.test.rc").update(value=7)
        assert generation() == start + 1  # not before the commit
    assert generation() == start + 2  # once for the transaction


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_moves_nothing_and_a_savepoint_keeps_its_outer_write(generation_file):
    VersionCounter.objects.create(key="site.test.rb", value=1)
    start = generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        VersionCounter.objects.filter(key="site.test.rb").update(value=2)
        raise RuntimeError
    assert generation() == start

    # Written only in a savepoint that rolls back, inside a transaction that commits.
    with transaction.atomic(), pytest.raises(RuntimeError), transaction.atomic():
        VersionCounter.objects.filter(key="site.test.rb").update(value=3)
        raise RuntimeError
    assert generation() == start

    with transaction.atomic():  # written outside, then again in a savepoint that rolls back
        VersionCounter.objects.filter(key="site.test.rb").update(value=4)
        with pytest.raises(RuntimeError), transaction.atomic():
            VersionCounter.objects.filter(key="site.test.rb").update(value=5)
            raise RuntimeError
    assert generation() == start + 1
    assert VersionCounter.objects.get(key="site.test.rb").value == 4


@pytest.mark.django_db(transaction=True)
def test_a_kept_answer_is_served_until_anything_is_written_anywhere(
    generation_file, another_process, django_assert_num_queries
):
    VersionCounter.objects.create(key="site.test.kept", value=1)
    with django_assert_num_queries(1):
        assert [COUNTER.first("site.test.kept").value for _ in range(3)] == [1, 1, 1]

    # Written by this process, then by another (which moves the shared generation): read again at once.
    VersionCounter.objects.filter(key="site.test.kept").update(value=2)
    with django_assert_num_queries(1):
        assert [COUNTER.first("site.test.kept").value for _ in range(2)] == [2, 2]
    another_process.advance()
    with django_assert_num_queries(1):
        assert COUNTER.first("site.test.kept").value == 2

    # Inside a transaction every read goes to the database (it may see its own writes).
    with transaction.atomic():
        VersionCounter.objects.filter(key="site.test.kept").update(value=3)
        with django_assert_num_queries(2):
            assert [COUNTER.first("site.test.kept").value for _ in range(2)] == [3, 3]
    with django_assert_num_queries(1):
        assert [COUNTER.first("site.test.kept").value for _ in range(2)] == [3, 3]


@pytest.mark.django_db(transaction=True)
def test_a_kept_answer_is_read_again_after_read_cache_seconds(generation_file, settings, monkeypatch):
    settings.READ_CACHE_SECONDS = 5
    VersionCounter.objects.create(key="site.test.aged", value=1)
    clock = [1000.0]
    monkeypatch.setattr(readcache.time, "monotonic", lambda: clock[0])
    assert COUNTER.first("site.test.aged").value == 1
    # Written around the stack (by a process without READ_CACHE_FILE: nothing moves the generation),
    # seen once the kept answer is READ_CACHE_SECONDS old.
    with around_the_stack(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_versioncounter SET value = 9 WHERE key = %s", ["site.test.aged"])
    clock[0] += 4.9
    assert COUNTER.first("site.test.aged").value == 1
    clock[0] += 0.2
    assert COUNTER.first("site.test.aged").value == 9


def test_the_cache_keeps_no_mutable_value_nor_a_long_parameter_and_holds_a_bounded_number_of_bytes(
    tmp_path, monkeypatch
):
    generation = readcache.WriteGeneration(str(tmp_path / "g"))
    cache = readcache.ReadCache(generation, seconds=60)
    calls = []

    def query(rows):
        return lambda: calls.append(rows) or rows

    class Connection:
        alias, in_atomic_block, connection = "default", False, None

    assert cache.rows(Connection, "SELECT a", [1], query([([1, 2],)])) == (([1, 2],),)
    cache.rows(Connection, "SELECT a", [1], query([([1, 2],)]))
    assert len(calls) == 2  # a list in a row: never kept
    made_up = "k" * 257  # longer than any token of ours: a stranger's, never kept
    assert [cache.rows(Connection, "SELECT t", [made_up], query([])) for _ in range(2)] == [(), ()]
    assert len(calls) == 4

    # An answer of two integers for one integer: 200 bytes for the entry, 50 per value.
    monkeypatch.setattr(readcache, "MAX_KEPT_BYTES", 700)
    assert cache.rows(Connection, "SELECT b", [1], query([(1,), (2,)])) == ((1,), (2,))  # 300 bytes
    assert cache.rows(Connection, "SELECT b", [1], query([(5,)])) == ((1,), (2,))  # kept
    cache.rows(Connection, "SELECT c", [1], query([(3,)] * 5))  # 450 more would be 750: emptied first
    assert cache.rows(Connection, "SELECT b", [1], query([(6,)])) == ((6,),)
    assert cache.rows(Connection, "SELECT d", [1], query([(7,)] * 11)) == ((7,),) * 11  # 750 alone: not kept
    assert cache.rows(Connection, "SELECT d", [1], query([(8,)])) == ((8,),)
    assert len(calls) == 9

    # Answers that find nothing count too (200 bytes each): memory stays bounded.
    for number in range(10):
        cache.rows(Connection, "SELECT e", [number], query([]))
    assert len(cache) <= 3
    generation.close()


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_a_304_without_the_database_and_sees_each_write(generation_file, django_assert_num_queries):
    organizer = UserFactory()
    event = EventFactory(created_by=organizer, name="Kept")
    token = Token.objects.create(user=organizer)
    api = token_client(token.key)
    url = f"/api/v1/events/{event.pk}/"
    etag = api.get(url)["ETag"]
    with django_assert_num_queries(0):  # the token with the engine's query: kept from the 200
        assert [api.get(url, HTTP_IF_NONE_MATCH=etag).status_code for _ in range(3)] == [304, 304, 304]

    # A change through the API: the old ETag gets the new event at once.
    patched = api.patch(url, {"name": "Kept, renamed"}, format="json")
    assert patched.status_code == 200
    fresh = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert (fresh.status_code, fresh.json()["name"], fresh["ETag"]) == (200, "Kept, renamed", patched["ETag"])

    # The organizer role taken away: the draft event is gone for the token.
    assert EventRole.objects.filter(user=organizer, event=event, role__name=ORGANIZER).delete()[0] == 1
    assert api.get(url, HTTP_IF_NONE_MATCH=patched["ETag"]).status_code == 404

    # The token revoked: refused at once.
    token.delete()
    assert api.get(url, HTTP_IF_NONE_MATCH=patched["ETag"]).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_every_worker_of_a_real_server_sees_a_write_made_through_another(generation_file, settings, tmp_path):
    """Two gunicorn workers and this process share the generation: after a write through any of them, no
    worker answers from what it kept before (whichever worker takes each request)."""
    organizer = UserFactory()
    event = EventFactory(created_by=organizer, name="Shared")
    token = Token.objects.create(user=organizer)
    env = production_env(database_url=database_url(settings.DATABASES["default"]), READ_CACHE_FILE=generation_file)
    url = f"/api/v1/events/{event.pk}/"

    def get(etag):
        connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=30)
        connection.request("GET", url, headers={"Authorization": f"Token {token.key}", "If-None-Match": etag})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, response.getheader("ETag"), json.loads(body)["name"] if response.status == 200 else None

    def patch(name):
        connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=30)
        headers = {"Authorization": f"Token {token.key}", "Content-Type": "application/json"}
        connection.request("PATCH", url, body=json.dumps({"name": name}), headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status, response.getheader("ETag")

    def answers(etag):
        """40 conditional GETs from four clients at once, so that both workers take some."""
        with ThreadPoolExecutor(4) as clients:
            return set(clients.map(get, [etag] * 40))

    with Gunicorn(env=env, log_path=tmp_path / "gunicorn.log", workers=2) as web:
        _status, etag, _name = get('"none"')
        assert answers(etag) == {(304, etag, None)}  # both workers keep it by now

        # Written through one worker: every answer after it is the new event.
        status, renamed = patch("Shared, renamed")
        assert status == 200
        assert answers(etag) == {(200, renamed, "Shared, renamed")}
        assert answers(renamed) == {(304, renamed, None)}

        # Written by another process (this one, as `manage.py shell` would with the same READ_CACHE_FILE).
        event.refresh_from_db()
        event.name = "Shared, from a shell"
        event.save()
        [(status, shell_etag, name)] = answers(renamed)
        assert (status, name) == (200, "Shared, from a shell") and shell_etag not in (etag, renamed)
        token.delete()
        assert {status for status, _etag, _name in answers(renamed)} == {401}


@pytest.fixture
def view_checks(monkeypatch):
    """How many times the API's permission class was asked: a kept 304 asks nothing."""
    asked = []
    ask = EventServicePermission.has_permission

    def counted(self, request, view):
        asked.append(request.path)
        return ask(self, request, view)

    monkeypatch.setattr(EventServicePermission, "has_permission", counted)
    return asked


def headers_of(response):
    """The response's headers but its request id (each request's own)."""
    return {name: value for name, value in response.headers.items() if name != "X-Request-ID"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["", "sessions/"], ids=["event", "list"])
def test_a_304_is_kept_for_the_same_get_until_anything_is_written(generation_file, view_checks, path):
    organizer = UserFactory()
    event = EventFactory(created_by=organizer, name="Kept")
    api = token_client(Token.objects.create(user=organizer).key)
    url = f"/api/v1/events/{event.pk}/{path}"
    etag = api.get(url)["ETag"]
    made = api.get(url, HTTP_IF_NONE_MATCH=etag)  # the whole way: kept
    del view_checks[:]

    kept = [api.get(url, HTTP_IF_NONE_MATCH=etag) for _ in range(3)]
    assert [response.status_code for response in kept] == [304, 304, 304]
    assert [headers_of(response) for response in kept] == [headers_of(made)] * 3
    allowed = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS" if path == "" else "GET, POST, HEAD, OPTIONS"
    assert (made["ETag"], made["Vary"], made["Allow"]) == (etag, "Accept, Cookie, Authorization", allowed)
    assert view_checks == []

    # Another ETag, a query, the cookie of a session: the whole way (and nothing kept for them).
    assert api.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    with_query = api.get(url, {"format": "json"}, HTTP_IF_NONE_MATCH=etag)
    assert with_query.status_code == (304 if path == "" else 200)  # a list's ETag names its query
    browser = APIClient()
    browser.force_login(organizer)
    assert browser.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert browser.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert len(view_checks) == 4

    # A write anywhere (a track of the event, which neither answer shows): the next GET goes the whole way.
    TrackFactory(event=event, name="Data")
    assert (api.get(url, HTTP_IF_NONE_MATCH=etag).status_code, len(view_checks)) == (304, 5)
    assert (api.get(url, HTTP_IF_NONE_MATCH=etag).status_code, len(view_checks)) == (304, 5)  # kept again
    # A write of what it shows: the new representation.
    if path:
        SessionFactory(event=event, title="New")
    else:
        type(event).objects.get(pk=event.pk).save()
    assert (api.get(url, HTTP_IF_NONE_MATCH=etag).status_code, len(view_checks)) == (200, 6)


@pytest.mark.django_db(transaction=True)
def test_a_kept_304_ends_with_its_token_and_after_read_cache_seconds(generation_file, view_checks, monkeypatch):
    organizer = UserFactory()
    event = EventFactory(created_by=organizer, name="Kept")
    expires = timezone.now() + timedelta(hours=1)
    _token, key = create_token(user=organizer, name="CI", scopes=["event:read"], expires_at=expires)
    api = token_client(key)
    url = f"/api/v1/events/{event.pk}/"
    etag = api.get(url)["ETag"]
    assert [api.get(url, HTTP_IF_NONE_MATCH=etag).status_code for _ in range(3)] == [304, 304, 304]
    assert len(view_checks) == 2  # the 200, the first 304

    clock = [time.monotonic()]
    monkeypatch.setattr(conditional.time, "monotonic", lambda: clock[0])
    clock[0] += 4.9
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert len(view_checks) == 2
    clock[0] += 0.2  # READ_CACHE_SECONDS (5) after it was kept: the whole way, then kept anew
    assert [api.get(url, HTTP_IF_NONE_MATCH=etag).status_code for _ in range(2)] == [304, 304]
    assert len(view_checks) == 3

    later = expires + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    expired = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert (expired.status_code, expired.json()["detail"]) == (401, "This token has expired.")


@pytest.mark.django_db(transaction=True)
def test_a_get_that_does_more_than_its_etag_is_never_kept(generation_file, view_checks):
    organizer = UserFactory()
    event = EventFactory(created_by=organizer, name="Orders")
    api = token_client(Token.objects.create(user=organizer).key)
    url = f"/api/v1/events/{event.pk}/orders/"  # its list expires overdue orders first
    etag = api.get(url)["ETag"]
    assert [api.get(url, HTTP_IF_NONE_MATCH=etag).status_code for _ in range(3)] == [304, 304, 304]
    assert len(view_checks) == 4


@pytest.mark.django_db(transaction=True)
def test_a_kept_304_is_not_given_for_another_scheme_or_host(generation_file, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["testserver"]
    organizer = UserFactory()
    event = EventFactory(created_by=organizer, name="Kept")
    api = token_client(Token.objects.create(user=organizer).key)
    url = f"/api/v1/events/{event.pk}/"
    etag = api.get(url, secure=True)["ETag"]
    assert [api.get(url, HTTP_IF_NONE_MATCH=etag, secure=True).status_code for _ in range(2)] == [304, 304]

    plain = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert (plain.status_code, plain["Location"]) == (301, f"https://testserver{url}")
    assert api.get(url, HTTP_IF_NONE_MATCH=etag, secure=True, HTTP_HOST="evil.example").status_code == 400


@pytest.mark.django_db(transaction=True)
def test_several_statements_in_one_and_explain_count_as_writes(generation_file):
    VersionCounter.objects.create(key="site.test.multi", value=1)
    start = generation()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN SELECT 1")
        cursor.execute("SELECT 1; SELECT 2" if connection.vendor == "postgresql" else "SELECT ';'")
    assert generation() == start + 2


@pytest.mark.django_db(transaction=True)
def test_a_304_made_of_a_kept_read_is_kept_no_longer_than_that_read(generation_file, view_checks, monkeypatch):
    """A write made around the stack is seen READ_CACHE_SECONDS after it at the latest, not twice that."""
    organizer = UserFactory()
    event = EventFactory(created_by=organizer, name="Aged")
    token = Token.objects.create(user=organizer)
    api = token_client(token.key)
    url = f"/api/v1/events/{event.pk}/"
    clock = [time.monotonic()]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    etag = api.get(url)["ETag"]  # the token and the engine's rows read now, kept for 5 s

    # Deactivated around the stack (no generation moved).
    with around_the_stack():
        type(organizer).objects.filter(pk=organizer.pk).update(is_active=False)

    clock[0] += 4.5
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304  # made of the 4.5 s old rows, and kept
    clock[0] += 0.4
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304  # the kept 304
    clock[0] += 0.2  # 5.1 s after the read: the rows and the 304 made of them are gone together
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_key_longer_than_any_of_ours_is_not_kept(generation_file, view_checks):
    organizer = UserFactory()
    event = EventFactory(created_by=organizer, name="Padded")
    key = Token.objects.create(user=organizer).key
    api = token_client(key, keyword="Token" + " " * 300)
    url = f"/api/v1/events/{event.pk}/"
    etag = api.get(url)["ETag"]
    assert [api.get(url, HTTP_IF_NONE_MATCH=etag).status_code for _ in range(3)] == [304, 304, 304]
    assert len(view_checks) == 4  # each went the whole way
