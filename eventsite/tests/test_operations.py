"""Health check, request ids, the shell helpers, production settings."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from core.tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.mark.django_db
def test_healthz_503_when_channel_layer_is_down(client, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": "redis://127.0.0.1:1/0", "socket_connect_timeout": 1}]},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        response = client.get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "channel_layer": "error: ConnectionError"}


@pytest.mark.django_db
def test_request_id_is_echoed_or_generated(client):
    assert client.get("/", HTTP_X_REQUEST_ID="abc-123").headers["X-Request-ID"] == "abc-123"
    generated = client.get("/", HTTP_X_REQUEST_ID="not valid\nline").headers["X-Request-ID"]
    assert len(generated) == 32
    assert generated.isalnum()


@pytest.mark.django_db
def test_shell_has_models_and_helpers(capsys):
    admin = UserFactory(is_superuser=True, is_staff=True)
    UserFactory(is_superuser=True, is_staff=True)
    call_command(
        "shell",
        command="print(su.email, notify.__module__, permissions_for.__name__, Event.__name__, Ticket.__name__)",
        stdout=StringIO(),
    )
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"{admin.email} notifications.services permissions_for Event Ticket"
    )


def run_manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_to_start_without_secret_key():
    result = run_manage("check", env={"DJANGO_DEBUG": "0"})
    assert result.returncode == 1
    assert "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off." in result.stderr


def test_production_settings_refuse_to_start_without_a_site_url():
    result = run_manage("check", env={"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "k" * 64})
    assert result.returncode == 1
    assert "DJANGO_SITE_URL (e.g. https://events.example.org) is required when DJANGO_DEBUG is off." in result.stderr


PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "production-like-secret-key-with-enough-entropy-0123456789-abcdefghijklmnop",
    "DJANGO_SITE_URL": "https://events.example.org",
    "DJANGO_ALLOWED_HOSTS": "events.example.org",
    "EMAIL_URL": "smtp://mailer:secret@mail.example.org:587/?tls=True",
}


def test_check_deploy_reports_only_the_documented_warning():
    result = run_manage("check", "--deploy", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    # docs/deploy.md: HSTS preload is opt-in (DJANGO_SECURE_HSTS_PRELOAD=1).
    assert result.stderr.splitlines() == [
        "System check identified some issues:",
        "",
        "WARNINGS:",
        "?: (security.W021) You have not set the SECURE_HSTS_PRELOAD setting to True. "
        "Without this, your site cannot be submitted to the browser preload list.",
        "",
        "System check identified 1 issue (0 silenced).",
    ]
    preloaded = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, "DJANGO_SECURE_HSTS_PRELOAD": "1"}
    )
    assert preloaded.returncode == 0, preloaded.stderr


def test_check_deploy_refuses_console_email_in_production():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "EMAIL_URL"}
    result = run_manage("check", "--deploy", env=env)
    assert result.returncode == 1
    assert "(mail.E001)" in result.stderr


def test_production_cookie_and_security_flags():
    env = {key: PRODUCTION_ENV[key] for key in ("DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DJANGO_SITE_URL")}
    env["DJANGO_ALLOWED_HOSTS"] = "events.example.org"
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, "
        "s.STORAGES['staticfiles']['BACKEND'])"
    )
    result = run_manage("shell", "--no-imports", "-c", code, env=env)
    assert result.stdout.strip() == (
        "True True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https') "
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_engines_follow_environment_variables():
    env = {
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": "postgres://u:p@db.example.org:5433/events",
        "REDIS_URL": "redis://cache.example.org:6379/2",
        "AWS_STORAGE_BUCKET_NAME": "media-bucket",
        "EMAIL_URL": "smtp://mailer:secret@mail.example.org:587/?tls=True",
    }
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['HOST'], d['PORT'], d['NAME']); "
        "print(s.CHANNEL_LAYERS['default']['BACKEND'], s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]['address']); "
        "print(s.STORAGES['default']['BACKEND'], s.STORAGES['default']['OPTIONS']['bucket_name']); "
        "m = s.MAILERS['default']; o = m['OPTIONS']; "
        "print(m['BACKEND'], o['host'], o['port'], o['use_tls'])"
    )
    result = run_manage("shell", "--no-imports", "-c", code, env=env)
    assert result.stdout.splitlines() == [
        "core.postgresql db.example.org 5433 events",
        "core.layers.PubSubChannelLayer redis://cache.example.org:6379/2",
        "storages.backends.s3.S3Storage media-bucket",
        "django.core.mail.backends.smtp.EmailBackend mail.example.org 587 True",
    ]


def test_embedded_defaults_without_environment():
    code = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], "
        "s.STORAGES['default']['BACKEND'], s.MAILERS['default']['BACKEND'])"
    )
    result = run_manage("shell", "--no-imports", "-c", code, env={"DJANGO_DEBUG": "1"})
    assert result.stdout.strip() == (
        "django.db.backends.sqlite3 channels.layers.InMemoryChannelLayer "
        "django.core.files.storage.FileSystemStorage django.core.mail.backends.console.EmailBackend"
    )


def test_migrate_check_fails_on_unapplied_migrations(tmp_path):
    env = {"DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    assert run_manage("migrate", "--check", env=env).returncode == 1
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    assert run_manage("migrate", "--check", env=env).returncode == 0


def test_shell_starts_before_the_first_migrate(tmp_path):
    # A fresh checkout: the database file does not exist yet, so there is no super admin to read.
    env = {"DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    result = run_manage("shell", "-c", "print('su is', su)", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "su is None"


def test_make_run_banner_names_every_demo_login_and_readme_says_how_to_choose_the_port():
    from eventsite.management.commands.load_demo_data import PEOPLE

    makefile = (ROOT / "Makefile").read_text()
    banner = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert [email for email, *_ in PEOPLE if email not in banner] == []
    assert "make run PORT=8001" in (ROOT / "README.md").read_text()
