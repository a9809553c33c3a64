"""Absolute links for what leaves the site (emails, feeds, webhooks): the configured SITE_URL plus a path."""

from django.conf import settings


def absolute_url(path):
    """Return the path as an absolute URL on the configured site (settings.SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")
