from django.apps import AppConfig


class EventsiteConfig(AppConfig):
    name = "eventsite"
    verbose_name = "Accounts and site"
