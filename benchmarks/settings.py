"""Settings of a benchmark run: the product's own, with the URLconf that adds the two baselines."""

from eventsite.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"

# DEBUG is off as in production; pages with static files are not measured, so
# the plain storage (no collectstatic manifest) is enough.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
