"""The schedule's formats: each a function of a ``events.schedule.Schedule`` that returns bytes."""

import re

# What XML 1.0 cannot hold and RFC 5545 forbids in text: the C0 controls but tab, line feed and carriage
# return, and DEL. Names and abstracts may carry them (JSON and HTML escape them; these formats cannot).
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# Line breaks as Python's str.splitlines() knows them (CR and LF, and the Unicode ones).
_LINE_BREAKS = re.compile("[\r\n\x85\u2028\u2029]+")


def writable(text):
    """Return the text without the characters the XML and iCalendar feeds cannot carry."""
    return _UNWRITABLE.sub("", text)


def one_line(text):
    """Return the writable text with each run of line breaks made one space (a name written where no
    escaping happens, such as iCalendar's X-WR-CALNAME: a raw CR there starts a property of its own)."""
    return _LINE_BREAKS.sub(" ", writable(text))
