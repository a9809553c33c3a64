"""DatabaseUnavailableMiddleware: a lost database is a clean 503, JSON for the API and a short page otherwise."""

import pytest
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.urls import path
from rest_framework.views import APIView

from core.middleware import API_DETAIL


def page_losing_database(request):
    raise OperationalError("terminating connection due to administrator command")


def page_with_closed_connection(request):
    raise InterfaceError("connection already closed")


def page_with_integrity_error(request):
    raise IntegrityError("duplicate key value")


def page_ok(request):
    return HttpResponse("fine")


class ApiLosingDatabase(APIView):
    authentication_classes = []
    permission_classes = []

    def get(self, request):
        raise OperationalError("server closed the connection unexpectedly")


urlpatterns = [
    path("page/", page_losing_database),
    path("closed/", page_with_closed_connection),
    path("integrity/", page_with_integrity_error),
    path("ok/", page_ok),
    path("api/v1/thing/", ApiLosingDatabase.as_view()),
]

pytestmark = pytest.mark.urls(__name__)


def test_database_error_in_api_view_answers_json_503(client):
    response = client.get("/api/v1/thing/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": API_DETAIL}
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", ["/page/", "/closed/"])
def test_database_error_in_page_answers_short_html_503(client, url):
    response = client.get(url)
    assert response.status_code == 503
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Retry-After"] == "5"
    body = response.content.decode()
    assert "<h1>Temporarily unavailable</h1>" in body
    assert "Traceback" not in body
    assert "administrator command" not in body
    assert "already closed" not in body


def test_database_error_is_logged_with_its_traceback(client, caplog):
    client.get("/page/")
    [record] = [r for r in caplog.records if r.name == "core.middleware"]
    assert record.getMessage() == "Database unavailable during GET /page/"
    assert record.exc_info[0] is OperationalError


def test_other_errors_are_left_to_django(client):
    client.raise_request_exception = False
    assert client.get("/integrity/").status_code == 500
    assert client.get("/ok/").status_code == 200
