"""The inbox page and its mark-as-read forms."""

import re

import pytest
from django.test import Client

from core.tests.factories import UserFactory
from notifications.models import Notification
from notifications.services import mark_read, notify

INBOX = "/notifications/"
pytestmark = pytest.mark.django_db


def make(user, title="Hello", **fields):
    [notification] = notify(user, action=Notification.GENERAL, title=title, **fields)
    return notification


def items(html):
    """Return (id, unread?) of each inbox entry, in page order."""
    return [
        (int(pk), "notification-unread" in classes)
        for classes, pk in re.findall(r'<div class="list-group-item ([^"]*)" data-id="(\d+)">', html)
    ]


def csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def csrf_token(client):
    client.get(INBOX)
    return client.cookies["csrftoken"].value


def test_inbox_lists_own_unread_first_with_humanized_times(client_for, user):
    read = make(user, title="Old news", message='<p>See <a href="https://example.com/">this</a></p>')
    mark_read(user=user, ids=[read.pk])
    unread = make(user, title="Fresh", url="/events/")
    make(UserFactory(), title="Someone else's")

    response = client_for(user).get(INBOX)

    html = response.content.decode()
    assert response.status_code == 200
    assert items(html) == [(unread.pk, True), (read.pk, False)]
    assert '<strong><a href="/events/">Fresh</a></strong>' in html
    assert '<a href="https://example.com/" target="_blank" rel="noopener noreferrer nofollow">this</a>' in html
    assert html.count(">now</small>") == 2
    assert "Someone else" not in html
    assert html.count("Mark as read</button>") == 1


def test_inbox_escapes_titles(client_for, user):
    make(user, title="<script>alert(1)</script>")

    html = client_for(user).get(INBOX).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_inbox_paginates_25_a_page(client_for, user):
    created = [make(user, title=f"Number {n}") for n in range(26)]
    client = client_for(user)

    first = client.get(INBOX).content.decode()
    second = client.get(INBOX, {"page": 2}).content.decode()

    assert [pk for pk, _ in items(first)] == [n.pk for n in reversed(created[1:])]
    assert [pk for pk, _ in items(second)] == [created[0].pk]
    assert "Page 1 of 2" in first
    assert '<a class="page-link" href="?page=2">Older</a>' in first
    assert '<a class="page-link" href="?page=1">Newer</a>' in second


def test_inbox_is_for_signed_in_users(client):
    response = client.get(INBOX)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={INBOX}"


def test_mark_read_form_marks_own_and_goes_back(user):
    notification = make(user)
    client = csrf_client(user)

    response = client.post(
        f"{INBOX}{notification.pk}/read/", {"csrfmiddlewaretoken": csrf_token(client), "next": f"{INBOX}?page=1"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{INBOX}?page=1"
    notification.refresh_from_db()
    assert notification.has_read is True


def test_mark_read_form_without_csrf_token_is_refused(user):
    notification = make(user)

    response = csrf_client(user).post(f"{INBOX}{notification.pk}/read/")

    assert response.status_code == 403
    notification.refresh_from_db()
    assert notification.has_read is False


def test_mark_read_form_ignores_someone_elses_notification(client_for, user):
    foreign = make(UserFactory())

    response = client_for(user).post(f"{INBOX}{foreign.pk}/read/")

    assert response.status_code == 302
    foreign.refresh_from_db()
    assert foreign.has_read is False


def test_mark_read_form_does_not_redirect_off_site(client_for, user):
    notification = make(user)

    response = client_for(user).post(f"{INBOX}{notification.pk}/read/", {"next": "https://evil.example/"})

    assert response["Location"] == INBOX


def test_mark_read_needs_post(client_for, user):
    notification = make(user)

    assert client_for(user).get(f"{INBOX}{notification.pk}/read/").status_code == 405
    notification.refresh_from_db()
    assert notification.has_read is False


def test_mark_all_read_form_marks_only_own(user):
    make(user)
    make(user)
    foreign = make(UserFactory())
    client = csrf_client(user)

    response = client.post(f"{INBOX}read-all/", {"csrfmiddlewaretoken": csrf_token(client)})

    assert response.status_code == 302
    assert response["Location"] == INBOX
    assert list(Notification.objects.filter(has_read=False).values_list("pk", flat=True)) == [foreign.pk]
