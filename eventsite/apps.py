from django.apps import AppConfig


class EventsiteConfig(AppConfig):
    """The project: accounts (case-insensitive unique emails), demo data and the shell."""

    name = "eventsite"
    verbose_name = "Accounts and site"

    def ready(self):
        from . import signals

        signals.connect()
