"""Fixtures shared by every app's tests."""

import importlib

import pytest
from rest_framework.test import APIClient

from eventsite.tests.factories import UserFactory


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def client_for(client):
    """Return a function that logs the test client in as a user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api_for():
    """Return a function that gives an APIClient authenticated as a user (or anonymous for None)."""

    def make(user):
        api = APIClient()
        if user is not None:
            api.force_authenticate(user)
        return api

    return make


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Keep uploaded files of a test in its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Hash test passwords cheaply; the real hasher is Django's, tested upstream."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _flushes_database(request):
    marker = request.node.get_closest_marker("django_db")
    transactional_marker = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    return transactional_marker or {"transactional_db", "live_server"} & set(request.fixturenames)


@pytest.fixture(autouse=True)
def reseed_matrix_after_flush(request, django_db_blocker):
    """Put the seeded roles, services and matrix back after a transactional test flushed them.

    Transactional tests (live server, real sockets, daphne subprocesses) end
    with a flush that also removes rows written by data migrations; every
    later test needs the matrix those migrations seeded.
    """
    yield
    if _flushes_database(request):
        from django.apps import apps

        seed = importlib.import_module("permissions.migrations.0002_seed_matrix").seed
        with django_db_blocker.unblock():
            seed(apps, None)
