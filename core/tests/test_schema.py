"""The OpenAPI schema documents every status the API answers, and the conditional request headers."""

import pytest

pytestmark = pytest.mark.django_db

TICKET = "/api/v1/events/{event_pk}/tickets/{id}/"
TRACKS = "/api/v1/events/{event_pk}/tracks/"


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def statuses(schema, path, method):
    return sorted(schema["paths"][path][method]["responses"])


def headers(schema, path, method):
    return [p["name"] for p in schema["paths"][path][method].get("parameters", []) if p["in"] == "header"]


def test_schema_documents_the_errors_of_a_conditional_write(schema):
    assert statuses(schema, TICKET, "patch") == ["200", "400", "401", "403", "404", "409", "412", "414", "503"]
    # 409: a ticket with orders is not deleted.
    assert statuses(schema, TICKET, "delete") == ["204", "401", "403", "404", "409", "412", "414", "503"]
    assert statuses(schema, TRACKS, "post") == ["201", "400", "401", "403", "404", "414", "422", "503"]
    assert headers(schema, TICKET, "patch") == ["If-Match"]


def test_schema_documents_not_modified_and_list_errors(schema):
    assert statuses(schema, TRACKS, "get") == ["200", "304", "400", "401", "403", "404", "414", "503"]
    assert statuses(schema, TICKET, "get") == ["200", "304", "401", "403", "404", "414", "503"]
    assert headers(schema, TRACKS, "get") == ["If-None-Match"]
    assert "content" not in schema["paths"][TRACKS]["get"]["responses"]["304"]
    error = schema["paths"][TICKET]["get"]["responses"]["404"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorDetail"}
    assert schema["components"]["schemas"]["ErrorDetail"]["required"] == ["detail"]


def test_schema_keeps_explicit_responses_and_skips_auth_errors_where_there_is_no_auth(schema):
    assert statuses(schema, "/api/v1/auth/token/", "post") == ["200", "400", "414", "429", "503"]
    background = schema["paths"]["/api/v1/events/{event_pk}/background/"]["post"]["responses"]
    assert sorted(background) == ["200", "400", "401", "403", "404", "413", "414", "422", "503"]
    assert background["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BackgroundRefusal"
    }


def test_schema_documents_throttling_only_where_an_operation_is_throttled(schema):
    invites = "/api/v1/events/{event_pk}/invites/"
    assert statuses(schema, invites, "post") == ["201", "400", "401", "403", "404", "414", "422", "429", "503"]
    assert "429" not in statuses(schema, invites, "get")
    assert "429" not in statuses(schema, TRACKS, "post")
