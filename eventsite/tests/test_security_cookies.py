"""Cookie flags in production settings (DJANGO_DEBUG=0), read from the settings and from a real login response."""

import json
import os
import subprocess
import sys

import pytest

from core.tests.processes import ROOT, SECRET_KEY, database_url

pytestmark = pytest.mark.security

SCRIPT = """
import json
import django
django.setup()
from django.conf import settings as s
from django.contrib.auth import get_user_model
from django.test import Client

PASSWORD = "cookie-flags-passphrase-42"
get_user_model().objects.create_user("cookies", "cookies@example.com", PASSWORD)
response = Client().post("/accounts/login/", {"username": "cookies@example.com", "password": PASSWORD})
print(json.dumps({
    "status": response.status_code,
    "settings": [s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE,
                 s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_SAMESITE],
    "cookies": {name: {"secure": bool(m["secure"]), "httponly": bool(m["httponly"]), "samesite": m["samesite"]}
                for name, m in response.cookies.items()},
}))
"""


@pytest.mark.django_db(transaction=True)
def test_production_login_sets_secure_httponly_samesite_session_cookie(settings):
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "eventsite.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SITE_URL": "https://testserver",
        "DATABASE_URL": database_url(settings.DATABASES["default"]),
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["status"] == 302
    assert report["settings"] == [True, True, "Lax", True, "Lax"]
    assert report["cookies"]["sessionid"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    # The CSRF cookie stays readable by the page's JavaScript (fetch sends it back as X-CSRFToken).
    assert report["cookies"]["csrftoken"] == {"secure": True, "httponly": False, "samesite": "Lax"}
