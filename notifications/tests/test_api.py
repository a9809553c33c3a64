import pytest
from rest_framework.fields import DateTimeField

from core.tests.factories import UserFactory
from notifications.models import Notification
from notifications.services import mark_read, notify

URL = "/api/v1/notifications/"
pytestmark = pytest.mark.django_db


def make(user, title="Hello", **fields):
    [notification] = notify(user, action=Notification.GENERAL, title=title, message="<p>Hi</p>", **fields)
    return Notification.objects.get(pk=notification.pk)


def represented(notification):
    when = DateTimeField().to_representation
    return {
        "id": notification.pk,
        "title": notification.title,
        "message": notification.message,
        "action": notification.action,
        "url": notification.url,
        "received_at": when(notification.received_at),
        "has_read": notification.has_read,
        "read_at": when(notification.read_at) if notification.read_at else None,
    }


def test_notifications_list_shows_only_own_newest_first(api_for, user):
    first = make(user, title="First", url="/events/")
    make(UserFactory(), title="Someone else's")
    second = make(user, title="Second")

    response = api_for(user).get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [represented(second), represented(first)],
    }


@pytest.mark.parametrize(
    ("flag", "expected_titles"), [("true", ["Unread"]), ("false", ["Read"]), ("", ["Unread", "Read"])]
)
def test_notifications_list_filters_on_unread(api_for, user, flag, expected_titles):
    read = make(user, title="Read")
    mark_read(user=user, ids=[read.pk])
    make(user, title="Unread")

    response = api_for(user).get(URL, {"unread": flag})

    assert [item["title"] for item in response.json()["results"]] == expected_titles


def test_notifications_list_filters_on_action(api_for, user):
    notify(user, action=Notification.ROLE_INVITE, title="Invited")
    make(user, title="General")

    response = api_for(user).get(URL, {"action": "role_invite"})

    assert [item["title"] for item in response.json()["results"]] == ["Invited"]


def test_notifications_list_is_for_signed_in_users_only(api_for):
    assert api_for(None).get(URL).status_code == 401


@pytest.mark.parametrize("count", [1, 3])
def test_notifications_list_costs_the_same_queries_for_1_and_3_items(api_for, django_assert_num_queries, user, count):
    for number in range(count):
        make(user, title=f"Number {number}")
    api = api_for(user)

    # The counter (ETag), the page (no COUNT: the page holds the whole list).
    with django_assert_num_queries(2):
        response = api.get(URL)

    assert len(response.json()["results"]) == count


def test_notifications_list_answers_304_from_the_counter_alone(api_for, django_assert_num_queries, user):
    make(user)
    api = api_for(user)
    etag = api.get(URL)["ETag"]

    with django_assert_num_queries(1):
        response = api.get(URL, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["ETag"] == etag


def test_notifications_list_etag_changes_after_notify_and_after_mark_read(api_for, user):
    notification = make(user)
    api = api_for(user)
    first = api.get(URL)["ETag"]

    make(user, title="Another")
    after_notify = api.get(URL, HTTP_IF_NONE_MATCH=first)
    assert after_notify.status_code == 200
    assert after_notify["ETag"] != first

    assert api.post(f"{URL}{notification.pk}/read/").status_code == 200
    after_read = api.get(URL, HTTP_IF_NONE_MATCH=after_notify["ETag"])
    assert after_read.status_code == 200
    assert after_read["ETag"] not in {first, after_notify["ETag"]}
    assert api.get(URL, HTTP_IF_NONE_MATCH=after_read["ETag"]).status_code == 304


def test_notifications_list_etags_differ_between_users_and_filters(api_for, user):
    other = UserFactory()
    make(user)
    make(other)

    mine = api_for(user).get(URL)["ETag"]

    assert api_for(other).get(URL, HTTP_IF_NONE_MATCH=mine).status_code == 200
    assert api_for(user).get(URL, {"unread": "true"}, HTTP_IF_NONE_MATCH=mine).status_code == 200


def test_notification_read_marks_own_and_returns_it(api_for, user):
    notification = make(user)

    response = api_for(user).post(f"{URL}{notification.pk}/read/")

    notification.refresh_from_db()
    assert notification.has_read is True
    assert response.status_code == 200
    assert response.json() == represented(notification)


def test_notification_read_of_someone_elses_is_404_and_changes_nothing(api_for, user):
    foreign = make(UserFactory())

    response = api_for(user).post(f"{URL}{foreign.pk}/read/")

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert (foreign.has_read, foreign.read_at) == (False, None)


def test_notifications_read_all_marks_only_own(api_for, user):
    make(user)
    make(user)
    foreign = make(UserFactory())

    response = api_for(user).post(f"{URL}read-all/")

    assert response.status_code == 200
    assert response.json() == {"marked": 2, "unread_count": 0}
    assert list(Notification.objects.filter(has_read=False)) == [foreign]


def test_notifications_unread_count_with_etag(api_for, django_assert_num_queries, user):
    make(user)
    make(user)
    make(UserFactory())
    api = api_for(user)

    response = api.get(f"{URL}unread-count/")
    assert response.status_code == 200
    assert response.json() == {"unread_count": 2}

    with django_assert_num_queries(1):
        assert api.get(f"{URL}unread-count/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304

    api.post(f"{URL}read-all/")
    changed = api.get(f"{URL}unread-count/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert changed.status_code == 200
    assert changed.json() == {"unread_count": 0}


def test_notification_retrieve_with_etag_and_404_for_someone_elses(api_for, user):
    notification = make(user)
    foreign = make(UserFactory())
    api = api_for(user)

    response = api.get(f"{URL}{notification.pk}/")
    assert response.status_code == 200
    assert response.json() == represented(notification)
    assert api.get(f"{URL}{notification.pk}/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304

    mark_read(user=user, ids=[notification.pk])
    assert api.get(f"{URL}{notification.pk}/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200
    assert api.get(f"{URL}{foreign.pk}/").status_code == 404


@pytest.mark.parametrize(("method", "path"), [("post", ""), ("put", "{pk}/"), ("patch", "{pk}/"), ("delete", "{pk}/")])
def test_notifications_cannot_be_written_through_the_api(api_for, user, method, path):
    notification = make(user)

    response = getattr(api_for(user), method)(URL + path.format(pk=notification.pk), {"title": "Changed"})

    assert response.status_code == 405
    assert Notification.objects.get().title == "Hello"
