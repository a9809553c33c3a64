"""Token authentication: DRF's answers, from one query compiled once."""

import pytest
from rest_framework.authtoken.models import Token

from core.tests.factories import UserFactory, token_client
from events.tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def test_token_authenticates_its_user_in_one_query(django_assert_num_queries):
    from core.authentication import TokenAuthentication

    user = UserFactory()
    key = Token.objects.create(user=user).key
    with django_assert_num_queries(1):
        authenticated, _token = TokenAuthentication().authenticate_credentials(key)
    assert authenticated == user
    assert token_client(key).get("/api/v1/notifications/unread-count/").status_code == 200


def test_unknown_token_answers_401_invalid_token():
    response = token_client("0" * 40).get(f"/api/v1/events/{EventFactory().pk}/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."
    assert response["WWW-Authenticate"] == "Token"


def test_token_of_inactive_user_answers_401():
    user = UserFactory(is_active=False)
    response = token_client(Token.objects.create(user=user).key).get("/api/v1/notifications/unread-count/")
    assert response.status_code == 401
    assert response.json()["detail"] == "User inactive or deleted."


def test_request_auth_is_the_token_with_its_user():
    from core.authentication import TokenAuthentication

    user = UserFactory()
    token = Token.objects.create(user=user)
    authenticated, auth = TokenAuthentication().authenticate_credentials(token.key)
    assert (authenticated, auth.key, auth.user, auth.created) == (user, token.key, user, token.created)
