"""Moving the clock in tests: time-machine, the kept library for it."""

import contextlib
from datetime import timedelta

import time_machine
from django.utils import timezone


@contextlib.contextmanager
def time_travel(**offset):
    """Run the block as if ``timedelta(**offset)`` had passed (the clock keeps ticking from there)."""
    with time_machine.travel(timezone.now() + timedelta(**offset), tick=True):
        yield


def iso(value):
    """A moment as the API writes it: ISO 8601 in UTC, with "Z"."""
    return value.isoformat().replace("+00:00", "Z")
