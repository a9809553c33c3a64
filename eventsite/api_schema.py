"""The view that serves the OpenAPI schema (its generation is core.schema's)."""

from drf_spectacular.views import SpectacularAPIView
from rest_framework.renderers import JSONRenderer


class SchemaView(SpectacularAPIView):
    """The schema, in YAML or JSON as the client asks; a refusal (405, 406) in JSON like every other API error.

    drf-spectacular's view rendered its errors with the schema's renderer: YAML for ``Accept: */*``, each
    message written as ``{string, code}``.
    """

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return response
