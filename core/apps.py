from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor: version counters, conditional requests, broadcast, the API base. Imports no app."""

    name = "core"
    verbose_name = "Core"

    def ready(self):
        from django.db.models.signals import m2m_changed

        # Importing connections registers the deploy check of the connection budget.
        from . import connections, readcache, signals  # noqa: F401
        from .versioning import record_m2m_change

        # Many-to-many writes bypass save(); this keeps them from bypassing versions.
        m2m_changed.connect(record_m2m_change, dispatch_uid="versioning-m2m")
        signals.connect()
        readcache.connect()
