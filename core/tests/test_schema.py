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
    # 400: a query parameter the operation does not read.
    assert statuses(schema, TICKET, "delete") == ["204", "400", "401", "403", "404", "409", "412", "414", "503"]
    assert statuses(schema, TRACKS, "post") == ["201", "400", "401", "403", "404", "414", "422", "503"]
    assert headers(schema, TICKET, "patch") == ["If-Match"]


def test_schema_documents_not_modified_and_list_errors(schema):
    assert statuses(schema, TRACKS, "get") == ["200", "304", "400", "401", "403", "404", "414", "503"]
    assert statuses(schema, TICKET, "get") == ["200", "304", "400", "401", "403", "404", "414", "503"]
    assert headers(schema, TRACKS, "get") == ["If-None-Match"]
    assert "content" not in schema["paths"][TRACKS]["get"]["responses"]["304"]
    error = schema["paths"][TICKET]["get"]["responses"]["404"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}


def test_schema_keeps_explicit_responses_and_skips_auth_errors_where_there_is_no_auth(schema):
    assert statuses(schema, "/api/v1/auth/token/", "post") == ["200", "400", "414", "429", "503"]
    background = schema["paths"]["/api/v1/events/{event_pk}/background/"]["post"]["responses"]
    assert sorted(background) == ["200", "400", "401", "403", "404", "413", "414", "422", "503"]
    assert background["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_schema_documents_throttling_only_where_an_operation_is_throttled(schema):
    invites = "/api/v1/events/{event_pk}/invites/"
    assert statuses(schema, invites, "post") == ["201", "400", "401", "403", "404", "414", "422", "429", "503"]
    assert "429" not in statuses(schema, invites, "get")
    assert "429" not in statuses(schema, TRACKS, "post")


# What generated clients need (openapi-python-client: eventsite/tests/test_api_client.py).

INTERNAL_WORDING = ["Base for", "All of the above", "GET on a list", "Serializer of", "private_fields", "Refuse input"]


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_error_of_the_api_is_the_one_error_component(schema):
    found = set()
    for path, _method, operation in operations(schema):
        for code, response in operation["responses"].items():
            if path.startswith("/api/") and code.startswith(("4", "5")) and "content" in response:
                found.add(response["content"]["application/json"]["schema"]["$ref"])
    # Publishing's 400 lists the problems, an order's 409 the sold-out tickets: both the Error shape plus a key.
    assert found == {
        "#/components/schemas/Error",
        "#/components/schemas/PublishProblems",
        "#/components/schemas/SoldOut",
    }
    error = schema["components"]["schemas"]["Error"]
    assert (error["properties"], error["additionalProperties"]) == (
        {"detail": {"type": "string", "description": "What went wrong, for people."}},
        {},
    )


def test_request_bodies_are_json_except_where_a_file_is_sent(schema):
    types = {
        (path, method): sorted(operation["requestBody"]["content"])
        for path, method, operation in operations(schema)
        if "requestBody" in operation
    }
    multipart = {key for key, value in types.items() if value != ["application/json"]}
    assert multipart == {
        ("/api/v1/events/{event_pk}/background/", "post"),
        ("/api/v1/events/{event_pk}/sponsors/", "post"),
        ("/api/v1/events/{event_pk}/sponsors/{id}/", "put"),
        ("/api/v1/events/{event_pk}/sponsors/{id}/", "patch"),
    }
    assert {tuple(types[key]) for key in multipart} == {("multipart/form-data",)}


def test_the_token_endpoint_needs_no_credentials(schema):
    assert schema["paths"]["/api/v1/auth/token/"]["post"]["security"] == []
    assert schema["paths"][TRACKS]["post"]["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]


def test_one_tag_per_resource_and_a_summary_and_public_description_everywhere(schema):
    tags = {}
    for path, method, operation in operations(schema):
        assert operation["summary"], (path, method)
        assert operation["description"], (path, method)
        leaks = [words for words in INTERNAL_WORDING if words in operation["description"]]
        assert leaks == [], (path, method)
        tags.setdefault(tuple(operation["tags"]), set()).add(path)
    assert sorted(tags) == [
        ("auth",),
        ("events",),
        ("invites",),
        ("microlocations",),
        ("notifications",),
        ("orders",),
        ("roles",),
        ("schedule",),
        ("sessions",),
        ("speakers",),
        ("sponsors",),
        ("tickets",),
        ("tracks",),
        ("webhooks",),
    ]
    assert tags[("sessions",)] == {"/api/v1/events/{event_pk}/sessions/", "/api/v1/events/{event_pk}/sessions/{id}/"}
    for name, component in schema["components"]["schemas"].items():
        leaks = [words for words in INTERNAL_WORDING if words in component.get("description", "")]
        assert leaks == [], name


def test_path_ids_are_integers(schema):
    kinds = {
        (parameter["name"], parameter["schema"]["type"])
        for _path, _method, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path"
    }
    assert kinds == {
        ("event_pk", "integer"),
        ("id", "integer"),
        ("webhook_pk", "integer"),
        ("slug", "string"),
        ("session_id", "integer"),
        ("token", "string"),
    }


def test_response_headers_are_declared_where_they_are_sent(schema):
    def response_headers(path, method, code):
        return sorted(schema["paths"][path][method]["responses"][code].get("headers", {}))

    assert response_headers(TRACKS, "post", "201") == ["ETag", "Location"]
    assert response_headers(TRACKS, "get", "200") == ["ETag"]
    assert response_headers(TRACKS, "get", "304") == ["ETag"]
    assert response_headers(TICKET, "patch", "412") == ["ETag"]
    assert response_headers("/api/v1/events/{event_pk}/invites/", "post", "429") == ["Retry-After"]


def test_ordering_is_an_enum_of_the_offered_fields(schema):
    [ordering] = [
        parameter for parameter in schema["paths"][TRACKS]["get"]["parameters"] if parameter["name"] == "ordering"
    ]
    assert ordering["schema"] == {"type": "string", "enum": ["name", "-name", "id", "-id"]}
