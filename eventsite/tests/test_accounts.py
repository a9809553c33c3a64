import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError, transaction

from core.tests.factories import PASSWORD, UserFactory

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
def test_password_reset_sends_email_with_working_link(client):
    UserFactory(email="grace@example.com")
    response = client.post("/accounts/password_reset/", {"email": "Grace@Example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["grace@example.com"]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line).strip()
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"},
    )
    assert done.status_code == 302
    assert client.login(username="grace@example.com", password="a-brand-new-passphrase") is True


@pytest.mark.django_db
def test_pages_render_for_anonymous(client):
    for url in ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password_reset/"]:
        assert client.get(url).status_code == 200, url
