"""Idempotency keys on any view: the first answer replayed, another body refused, errors not remembered."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from core.idempotency import IdempotentCreateMixin, forget_old_keys
from core.models import IdempotencyKey
from core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class Counting(viewsets.GenericViewSet):
    """Answers how many times its create ran; refuses a body with "fail"."""

    permission_classes = [AllowAny]
    calls = 0

    def create(self, request):
        if request.data.get("fail"):
            return Response({"detail": "No."}, status=status.HTTP_400_BAD_REQUEST)
        type(self).calls += 1
        response = Response({"call": type(self).calls, "echo": request.data}, status=status.HTTP_201_CREATED)
        response["ETag"] = f'"{type(self).calls}"'
        return response


class IdempotentCounting(IdempotentCreateMixin, Counting):
    pass


@pytest.fixture
def post():
    IdempotentCounting.calls = 0
    view = IdempotentCounting.as_view({"post": "create"})
    factory = APIRequestFactory()

    def send(data, *, user, key=None, path="/things/"):
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
        request = factory.post(path, data, format="json", **headers)
        if user is not None:
            force_authenticate(request, user)
        response = view(request)
        response.render()
        return response

    return send


def test_a_repeat_gets_the_first_answer_and_runs_nothing(post):
    user = UserFactory()
    first = post({"a": 1, "b": [1, 2]}, user=user, key="k1")
    again = post({"b": [1, 2], "a": 1}, user=user, key="k1")  # the same body, keys in another order
    assert (first.status_code, first.data, first["ETag"]) == (201, {"call": 1, "echo": {"a": 1, "b": [1, 2]}}, '"1"')
    assert (again.status_code, again.data, again["ETag"], again["Idempotent-Replayed"]) == (
        201,
        first.data,
        '"1"',
        "true",
    )
    assert IdempotentCounting.calls == 1


def test_the_same_key_with_another_body_or_path_is_a_422(post):
    user = UserFactory()
    post({"a": 1}, user=user, key="k1")
    assert post({"a": 2}, user=user, key="k1").status_code == 422
    assert post({"a": 1}, user=user, key="k1", path="/other/").status_code == 422
    assert IdempotentCounting.calls == 1


def test_keys_are_per_user_and_absent_keys_change_nothing(post):
    ann, bob = UserFactory(), UserFactory()
    post({"a": 1}, user=ann, key="shared")
    assert post({"a": 1}, user=bob, key="shared").data["call"] == 2
    assert post({"a": 1}, user=ann).data["call"] == 3
    assert post({"a": 1}, user=None, key="anonymous").data["call"] == 4  # anonymous requests are not remembered
    assert post({"a": 1}, user=None, key="anonymous").data["call"] == 5


def test_an_error_is_not_remembered_so_the_repeat_runs_again(post):
    user = UserFactory()
    assert post({"fail": True}, user=user, key="k").status_code == 400
    assert IdempotencyKey.objects.count() == 0
    assert post({"fail": True}, user=user, key="k").status_code == 400


def test_a_key_is_forgotten_after_24_hours(post):
    user = UserFactory()
    with time_machine.travel(timezone.now() - timedelta(hours=24, seconds=1)):
        post({"a": 1}, user=user, key="old")
    assert post({"a": 1}, user=user, key="old").data["call"] == 2
    with time_machine.travel(timezone.now() - timedelta(hours=30)):
        post({"a": 1}, user=user, key="older")
    assert forget_old_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["old"]


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there"])
def test_a_malformed_key_is_a_400(post, key):
    response = post({"a": 1}, user=UserFactory(), key=key)
    assert (response.status_code, response.data["code"]) == (400, "invalid_idempotency_key")
    assert IdempotentCounting.calls == 0
