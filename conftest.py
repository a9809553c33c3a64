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


@pytest.fixture(autouse=True)
def seeded_matrix_present(request):
    """Make sure the roles, services and matrix seeded by a data migration are there.

    Transactional tests (live server, real sockets, daphne subprocesses) end
    with a flush that also removes rows written by data migrations; the tests
    after them need the matrix back. One cheap query when it is present.
    """
    if "_django_db_helper" not in request.fixturenames:
        return
    request.getfixturevalue("_django_db_helper")
    from django.apps import apps

    from permissions.models import RolePermission

    if not RolePermission.objects.exists():
        importlib.import_module("permissions.migrations.0002_seed_matrix").seed(apps, None)
