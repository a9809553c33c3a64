"""Filters of the site's log records (eventsite/settings.py, LOGGING)."""

import logging

from django.core.exceptions import PermissionDenied


class RefusalWithoutTraceback(logging.Filter):
    """Log a refused request (403) as its one line, without the traceback Django attaches.

    Django logs every PermissionDenied with the exception's traceback; a refusal is the engine
    answering no, not a fault, and a page refused a hundred times an hour buried the real errors.
    """

    def filter(self, record):
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = record.exc_text = None
        return True
