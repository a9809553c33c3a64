"""Absolute links for what leaves the site (emails, feeds, webhooks): the configured SITE_URL plus a path."""

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


def absolute_url(path):
    """Return the path as an absolute URL on the configured site (settings.SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def absolute_reverse(url_name, *args):
    """Return ``absolute_url(reverse(url_name, args=args))``, remembered per process.

    The same few links are made over and over (an event's six links in every
    answer of the API that shows it, a schedule's link per session and speaker
    in every feed), and ``reverse()`` costs about 18 µs each time. The answer
    depends only on the arguments, the site's address and the URL
    configuration in force, so those are the key.
    """
    return _absolute_reverse(
        url_name, args, settings.SITE_URL, settings.ROOT_URLCONF, get_urlconf(), get_script_prefix()
    )


@functools.lru_cache(maxsize=4096)
def _absolute_reverse(url_name, args, _site_url, _root_urlconf, urlconf, _script_prefix):
    return absolute_url(reverse(url_name, urlconf=urlconf, args=args))
