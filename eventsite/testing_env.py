"""Pytest plugin (loaded with -p): development defaults for a test run.

It runs before pytest-django reads the settings, so a bare `pytest` works
without exporting anything; variables already set (CI's DATABASE_URL,
REDIS_URL) are kept.
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("DJANGO_SECRET_KEY", "insecure-test-key")
# Tasks run where they are enqueued (after commit); tests of the real worker switch to the database queue.
os.environ.setdefault("TASKS_BACKEND", "immediate")
