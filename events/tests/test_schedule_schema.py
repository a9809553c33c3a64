"""The schedule's feeds are in the OpenAPI schema with their filters, media types, 304 and 400."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/e/{slug}/schedule.ics", "text/calendar"),
        ("/e/{slug}/schedule.xml", "application/xml"),
        ("/e/{slug}/schedule.json", "application/json"),
        ("/e/{slug}/schedule/data.json", "application/json"),
        ("/e/{slug}/sessions/{session_id}.ics", "text/calendar"),
        ("/e/{slug}/schedule/my/{token}.ics", "text/calendar"),
    ],
)
def test_each_feed_is_documented(schema, path, media_type):
    operation = schema["paths"][path]["get"]
    assert operation["tags"] == ["schedule"]
    assert list(operation["responses"]["200"]["content"]) == [media_type]
    assert sorted(operation["responses"]) == ["200", "304", "400", "401", "403", "404", "414", "503"]
    query = sorted(parameter["name"] for parameter in operation["parameters"] if parameter["in"] == "query")
    assert query == ["day", "room", "track"]
    assert "If-None-Match" in [parameter["name"] for parameter in operation["parameters"]]


def test_the_event_documents_its_links(schema):
    links = schema["components"]["schemas"]["EventLinks"]["properties"]
    assert sorted(links) == [
        "public_page",
        "schedule",
        "schedule_data",
        "schedule_frab_json",
        "schedule_frab_xml",
        "schedule_ics",
    ]
