"""GET /api/v1/: every endpoint of the API with what each method does, read from the OpenAPI schema."""

import functools

from drf_spectacular.generators import SchemaGenerator
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import APIRootView


@functools.cache
def endpoints():
    """Return [(path, {METHOD: summary})] of the public schema, in its order (built once per process)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (
            path,
            {
                method.upper(): operation.get("summary") or operation.get("operationId", "")
                for method, operation in operations.items()
            },
        )
        for path, operations in schema["paths"].items()
    ]


class ApiRoot(APIRootView):
    """The Open Event API. Every endpoint is listed below with what each method does; the interactive
    documentation is at /api/docs/, the OpenAPI schema at /api/schema/. Authenticate with a session or
    `Authorization: Token <key>` (POST /api/v1/auth/token/)."""

    permission_classes = [AllowAny]

    def get_view_name(self):
        return "Open Event API"

    def get(self, request, *args, **kwargs):
        # Paths are templates ({id}): joined as they are, not quoted as a URL would be.
        site = request.build_absolute_uri("/").rstrip("/")
        return Response(
            {
                "docs": reverse("api-docs", request=request),
                "schema": reverse("schema", request=request),
                "endpoints": [{"path": path, "url": site + path, "methods": methods} for path, methods in endpoints()],
            }
        )
