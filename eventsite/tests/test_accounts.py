import os

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.accounts import is_verified
from core.tests.factories import PASSWORD, UserFactory
from core.tests.time import time_travel
from eventsite.verification import SALT, verification_token

SIGNUP = {
    "email": "Ada@Example.com",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "password1": "analytical-engine-1843",
    "password2": "analytical-engine-1843",
}


@pytest.mark.django_db
def test_signup_creates_account_and_logs_in(client):
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = get_user_model().objects.get()
    assert (user.email, user.username, user.get_full_name()) == ("Ada@example.com", "ada@example.com", "Ada Lovelace")
    assert client.get("/").context["user"] == user


@pytest.mark.django_db
def test_signup_refuses_email_in_other_case(client):
    UserFactory(email="ada@example.com")
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 200
    assert response.context["form"].errors == {"email": ["An account with this email already exists."]}
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_signup_refuses_mismatched_and_weak_passwords(client):
    mismatched = client.post("/accounts/signup/", {**SIGNUP, "password2": "something-else-entirely"})
    assert mismatched.context["form"].errors == {"password2": ["The two passwords do not match."]}
    weak = client.post("/accounts/signup/", {**SIGNUP, "password1": "123", "password2": "123"})
    assert weak.context["form"].errors["password1"] == [
        "This password is too short. It must contain at least 8 characters.",
        "This password is too common.",
        "This password is entirely numeric.",
    ]
    assert get_user_model().objects.count() == 0


@pytest.mark.django_db
def test_database_refuses_duplicate_email_in_other_case():
    UserFactory(email="grace@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(email="GRACE@example.com")


@pytest.mark.django_db
def test_login_by_email_in_any_case(client):
    user = UserFactory(email="grace@example.com")
    response = client.post("/accounts/login/", {"username": "GRACE@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["user"] == user


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL")
@pytest.mark.django_db
def test_login_finds_the_account_through_the_address_index(client):
    """A log-in reads one account, not all of them: its lookup is the case-blind index's own expression."""
    UserFactory(email="grace@example.com")
    with CaptureQueriesContext(connection) as queries:
        client.post("/accounts/login/", {"username": "GRACE@example.com", "password": PASSWORD})
    lookups = [query["sql"] for query in queries if 'FROM "auth_user"' in query["sql"] and "LOWER(" in query["sql"]]
    assert len(lookups) == 1
    with connection.cursor() as cursor:
        # The table is tiny: let the planner say whether the index can serve the query at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + lookups[0])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "auth_user_email_ci_uniq" in plan, plan


@pytest.mark.django_db
def test_password_reset_reaches_the_account_in_any_case(client, django_capture_on_commit_callbacks):
    UserFactory(email="grace@example.com")
    UserFactory(email="ada@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/accounts/password_reset/", {"email": "GRACE@Example.com"}).status_code == 302
    assert [message.to for message in mail.outbox] == [["grace@example.com"]]


@pytest.mark.django_db
def test_login_with_wrong_password_shows_error(client):
    UserFactory(email="grace@example.com")
    response = client.post("/accounts/login/", {"username": "grace@example.com", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Please enter a correct email and password. Both fields may be case-sensitive."
    ]


@pytest.mark.django_db
def test_logout_by_post(client):
    client.force_login(UserFactory())
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").context["user"].is_authenticated is False


@pytest.mark.django_db
def test_password_reset_sends_email_with_working_link(client, django_capture_on_commit_callbacks):
    UserFactory(email="grace@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password_reset/", {"email": "Grace@Example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert (mail.outbox[0].to, mail.outbox[0].subject) == (["grace@example.com"], "Reset your password")
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line).strip()
    path = link.removeprefix("http://127.0.0.1:8000")
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"},
    )
    assert done.status_code == 302
    logged_in = client.post("/accounts/login/", {"username": "grace@example.com", "password": "a-brand-new-passphrase"})
    assert logged_in.status_code == 302


@pytest.mark.django_db
def test_pages_render_for_anonymous(client):
    for url in ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password_reset/"]:
        assert client.get(url).status_code == 200, url


def verification_link(message):
    return next(line for line in message.body.splitlines() if "/accounts/verify/" in line).removeprefix(
        "http://127.0.0.1:8000"
    )


@pytest.mark.django_db
def test_signup_sends_a_link_that_verifies_the_address(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/signup/", SIGNUP)
    user = get_user_model().objects.get()
    assert is_verified(user) is False
    [message] = mail.outbox
    assert (message.to, message.subject) == (["Ada@example.com"], "Confirm your email address")

    page = client.get(verification_link(message))

    assert (page.status_code, page.context["verified"]) == (200, True)
    assert is_verified(user) is True


@pytest.mark.django_db
def test_a_verification_link_is_refused_when_forged_expired_or_for_an_old_address(client, user):
    from django.core import signing

    assert client.get("/accounts/verify/not-a-signed-token/").status_code == 400
    old = verification_token(user)
    user.email = "moved@example.com"
    user.save()
    assert client.get(f"/accounts/verify/{old}/").status_code == 400
    assert is_verified(user) is False
    expired = signing.dumps({"user": user.pk, "email": user.email}, salt=SALT, compress=True)
    with time_travel(days=4):
        assert client.get(f"/accounts/verify/{expired}/").status_code == 400
    assert client.get(f"/accounts/verify/{expired}/").status_code == 200
    assert is_verified(user) is True


@pytest.mark.django_db
def test_a_new_link_can_be_asked_for(client, user, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/verify/send/", {"next": "/notifications/"})
    assert (response.status_code, response["Location"]) == (302, "/notifications/")
    assert [message.to for message in mail.outbox] == [[user.email]]
    assert client.get(verification_link(mail.outbox[0])).status_code == 200
    assert client.post("/accounts/verify/send/", {"next": "//evil.example/"})["Location"] == "/"


@pytest.mark.django_db
def test_signup_with_a_mangled_invite_link_signs_up_without_it(client):
    response = client.post("/accounts/signup/?invite=a/b", SIGNUP)
    assert (response.status_code, response["Location"]) == (302, "/")
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_signups_with_one_address_make_one_account_and_no_error():
    """Finding: six sign-ups at once with one email gave one 302 and five 500s (IntegrityError)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection
    from django.test import Client

    start = Barrier(6)

    def sign_up(_):
        start.wait()
        try:
            return Client().post("/accounts/signup/", SIGNUP).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(sign_up, range(6)))

    assert statuses == [200, 200, 200, 200, 200, 302]
    assert get_user_model().objects.count() == 1


@pytest.mark.django_db
def test_a_password_change_ends_the_api_token_and_other_sessions(client, user):
    """Finding: after a password change the API token still worked and the same token came back."""
    from django.test import Client
    from rest_framework.test import APIClient

    from permissions.tokens import create_token

    api = APIClient()
    old_key = api.post("/api/v1/auth/token/", {"username": user.email, "password": PASSWORD}).json()["token"]
    _token, personal_key = create_token(user=user, name="script", scopes=["event:read"])
    elsewhere = Client()
    elsewhere.force_login(user)
    client.force_login(user)

    changed = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "a-fresh-passphrase-77", "new_password2": "a-fresh-passphrase-77"},
    )

    assert changed.status_code == 302
    assert APIClient(headers={"Authorization": f"Token {old_key}"}).get("/api/v1/me/events/").status_code == 401
    assert APIClient(headers={"Authorization": f"Bearer {personal_key}"}).get("/api/v1/me/events/").status_code == 401
    new_key = api.post("/api/v1/auth/token/", {"username": user.email, "password": "a-fresh-passphrase-77"})
    assert new_key.status_code == 200 and new_key.json()["token"] != old_key
    assert elsewhere.get("/notifications/").status_code == 302  # logged out there
    assert client.get("/notifications/").status_code == 200  # not here: Django keeps the changing session
