from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"

    def ready(self):
        from core.files import delete_files_with_rows

        from .models import Event, Sponsor

        # The background's replacement is the service's (events.services); a deleted event takes its file along.
        delete_files_with_rows(Event, "background", on_replace=False)
        delete_files_with_rows(Sponsor, "logo")
