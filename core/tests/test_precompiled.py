"""PrecompiledQuery: compiled once per database, each call with its own values, loaded like the ORM loads."""

import gc
import weakref

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Max, Value

from core.models import VersionCounter
from core.precompiled import PrecompiledPair, PrecompiledQuery

pytestmark = pytest.mark.django_db


def test_query_is_compiled_once_and_answers_each_value(django_assert_num_queries):
    builds = []

    def build(key):
        builds.append(key)
        return VersionCounter.objects.filter(key=key)

    query = PrecompiledQuery(build, str)
    VersionCounter.objects.create(key="site.test.a", value=3)
    VersionCounter.objects.create(key="site.test.b", value=5)
    with django_assert_num_queries(3):
        answers = [query.first(key) for key in ("site.test.a", "site.test.b", "site.test.missing")]
    assert [counter and counter.value for counter in answers] == [3, 5, None]
    assert len(builds) == 2  # once for the model, once compiled for the database alias


def test_a_query_let_go_is_not_kept_alive_by_what_it_compiled():
    query = PrecompiledQuery(lambda key: VersionCounter.objects.filter(key=key), str)
    pair = PrecompiledPair(query, PrecompiledQuery(lambda key: VersionCounter.objects.filter(key=key)[:1], str))
    assert (query.first("site.test.gone"), pair.first(("site.test.gone",), ("site.test.gone",))) == (None, (None, None))
    compiled_once = query.compiled("default")
    assert query.compiled("default") is compiled_once
    # A bounded cache of queries (one per number of values) lets them go: nothing else may hold them.
    gone = [weakref.ref(query), weakref.ref(pair)]
    del query, pair
    gc.collect()
    assert [ref() for ref in gone] == [None, None]


def test_query_loads_fields_with_their_types():
    counter = VersionCounter.objects.create(key="site.test.typed", value=7)
    query = PrecompiledQuery(lambda value: VersionCounter.objects.filter(value=value), int)
    loaded = query.first(7)
    assert (loaded.key, loaded.value, loaded.changed_at) == ("site.test.typed", 7, counter.changed_at)


def test_query_with_several_values_keeps_their_order():
    for key, value in (("site.test.x", 1), ("site.test.y", 2), ("site.test.z", 3)):
        VersionCounter.objects.create(key=key, value=value)
    query = PrecompiledQuery(
        lambda low, key: VersionCounter.objects.filter(value__gte=low).exclude(key=key).order_by("key"), int, str
    )
    assert [counter.key for counter in query.all(2, "site.test.z")] == ["site.test.y"]
    assert [counter.key for counter in query.all(1, "site.test.y")] == ["site.test.x", "site.test.z"]


def test_stand_in_missing_from_the_sql_is_refused():
    query = PrecompiledQuery(lambda key, unused: VersionCounter.objects.filter(key=key), str, int)
    with pytest.raises(ValueError, match=r"stand-ins \[1\] do not reach the SQL"):
        query.first("site.test.a", 1)


def test_a_parameter_that_cannot_be_hashed_is_no_stand_in():
    query = PrecompiledQuery(
        lambda key: VersionCounter.objects.filter(key=key).extra(where=["%s IS NOT NULL"], params=[["a"]]), str
    )
    compiled = query.compiled("default")
    assert ([param for param in compiled.params if isinstance(param, list)], list(compiled.slots.values())) == (
        [["a"]],
        [(0, str)],
    )


def test_values_query_answers_its_rows_as_tuples_converted(django_assert_num_queries):
    first = VersionCounter.objects.create(key="site.rows.a", value=2)
    VersionCounter.objects.create(key="site.rows.b", value=5)
    VersionCounter.objects.create(key="site.rows.c", value=5)
    query = PrecompiledQuery(
        lambda low, *keys: (
            VersionCounter.objects.filter(key__in=keys, value__gte=low)
            .order_by("value")
            .values_list("value")
            .annotate(keys=Count("key"), latest=Max("changed_at"))
        ),
        int,
        str,
        str,
        str,
    )
    keys = ("site.rows.a", "site.rows.b", "site.rows.c")
    with django_assert_num_queries(2):
        answers = [query.rows(1, *keys), query.rows(3, *keys)]
    latest = VersionCounter.objects.filter(value=5).aggregate(latest=Max("changed_at"))["latest"]
    # The time comes back as the ORM gives it (aware, through the backend's converters), not as text.
    assert answers == [[(2, 1, first.changed_at), (5, 2, latest)], [(5, 2, latest)]]
    assert query.rows(0, "site.rows.x", "site.rows.y", "site.rows.z") == []


def test_hundreds_of_values_each_reach_their_place():
    for number in range(3):
        VersionCounter.objects.create(key=f"site.many.{number}", value=number)
    keys = [f"site.many.{number}" for number in range(300)]
    query = PrecompiledQuery(lambda *keys: VersionCounter.objects.filter(key__in=keys).order_by("key"), *[str] * 300)
    assert [counter.key for counter in query.all(*keys)] == ["site.many.0", "site.many.1", "site.many.2"]
    assert [counter.key for counter in query.all(*reversed(keys))] == ["site.many.0", "site.many.1", "site.many.2"]
    assert query.all(*[f"site.other.{number}" for number in range(300)]) == []


def _pair():
    users = PrecompiledQuery(
        lambda name: get_user_model().objects.filter(username=name).annotate(shout=Value("hi"))[:1], str
    )
    counters = PrecompiledQuery(
        lambda key, low: VersionCounter.objects.filter(key=key, value__gte=low).annotate(twice=F("value") * 2)[:1],
        str,
        int,
    )
    return PrecompiledPair(users, counters)


def test_pair_answers_both_rows_in_one_query(django_assert_num_queries):
    user = get_user_model().objects.create_user("pair-user", password="x")
    counter = VersionCounter.objects.create(key="site.test.pair", value=4)
    pair = _pair()
    with django_assert_num_queries(1):
        left, right = pair.first(("pair-user",), ("site.test.pair", 4))
    assert (left.pk, left.username, left.is_active, left.shout) == (user.pk, "pair-user", True, "hi")
    assert (right.pk, right.key, right.value, right.twice, right.changed_at) == (
        counter.pk,
        "site.test.pair",
        4,
        8,
        counter.changed_at,
    )
    assert (left._state.adding, right._state.adding, left._state.db, right._state.db) == (
        False,
        False,
        "default",
        "default",
    )


def test_pair_without_a_right_row_answers_the_left_and_none():
    user = get_user_model().objects.create_user("pair-alone", password="x")
    VersionCounter.objects.create(key="site.test.pair-low", value=1)
    left, right = _pair().first(("pair-alone",), ("site.test.pair-low", 2))
    assert (left.pk, right) == (user.pk, None)


def test_pair_without_a_left_row_answers_nothing():
    VersionCounter.objects.create(key="site.test.pair-orphan", value=1)
    assert _pair().first(("nobody",), ("site.test.pair-orphan", 0)) == (None, None)
