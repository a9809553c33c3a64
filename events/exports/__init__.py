"""The schedule's formats: each a function of a ``events.schedule.Schedule`` that returns bytes."""

import re

# What XML 1.0 cannot hold and RFC 5545 forbids in text: the C0 controls but tab, line feed and carriage
# return, and DEL. Names and abstracts may carry them (JSON and HTML escape them; these formats cannot).
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def writable(text):
    """Return the text without the characters the XML and iCalendar feeds cannot carry."""
    return _UNWRITABLE.sub("", text)
