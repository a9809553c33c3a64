"""absolute_reverse: what absolute_url(reverse()) gives, made once per arguments, site address and URL configuration."""

import pytest
from django.urls import NoReverseMatch, reverse

from core.links import _absolute_reverse, absolute_reverse, absolute_url


def test_same_as_reverse_and_made_once(settings):
    settings.SITE_URL = "https://events.example.org/"
    _absolute_reverse.cache_clear()

    first = absolute_reverse("public:session", "pycon", 7)
    again = absolute_reverse("public:session", "pycon", 7)

    assert first == again == absolute_url(reverse("public:session", args=["pycon", 7]))
    assert first == "https://events.example.org/e/pycon/sessions/7/"
    assert (_absolute_reverse.cache_info().hits, _absolute_reverse.cache_info().misses) == (1, 1)


def test_follows_the_site_address(settings):
    settings.SITE_URL = "https://one.example.org"
    assert absolute_reverse("public:schedule", "pycon") == "https://one.example.org/e/pycon/schedule/"
    settings.SITE_URL = "https://two.example.org"
    assert absolute_reverse("public:schedule", "pycon") == "https://two.example.org/e/pycon/schedule/"


def test_arguments_reverse_refuses_are_refused():
    with pytest.raises(NoReverseMatch):
        absolute_reverse("public:session", "pycon", "not-a-number")
