"""The layers hold: no import that docs/architecture.md forbids, and every event-scoped URL behind one door."""

import ast
import re
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

from permissions.drf import EventScopedViewMixin, EventServicePermission
from permissions.mixins import EventPermissionMixin

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "eventsite", "events", "tickets", "permissions", "notifications")
# (importer, imported): what must never exist (docs/architecture.md).
NEVER = {
    *(("core", app) for app in APPS if app != "core"),
    *((app, "eventsite") for app in APPS if app != "eventsite"),
    ("notifications", "permissions"),
    ("notifications", "events"),
    ("notifications", "tickets"),
    ("permissions", "tickets"),
}


def imported_apps(path, package):
    """Return the project apps a module of the package imports (absolute and relative), at any depth of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add(package if node.level else (node.module or "").split(".")[0])
    return found & set(APPS)


def import_edges():
    """Return {(importer app, imported app): [files]} for every module outside the tests."""
    edges = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "tests" in path.relative_to(ROOT).parts:
                continue
            for imported in imported_apps(path, app) - {app}:
                edges.setdefault((app, imported), []).append(str(path.relative_to(ROOT)))
    return edges


def test_no_forbidden_import_exists():
    forbidden = {edge: files for edge, files in import_edges().items() if edge in NEVER}
    assert forbidden == {}


def test_notifications_imports_only_core():
    assert {imported for (importer, imported) in import_edges() if importer == "notifications"} == {"core"}


def test_core_imports_no_app():
    assert {imported for (importer, imported) in import_edges() if importer == "core"} == set()


def test_the_import_walker_sees_relative_and_nested_imports(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text("import json\n\ndef f():\n    from events.models import Event\n\nfrom . import versioning\n")
    assert imported_apps(module, "core") == {"events", "core"}


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


EVENT_SCOPED = re.compile(r"event_id|event_pk|^api/v1/\^?events/\(\?P<pk>|^e/<slug:slug>/")


def door_of(callback):
    """Return which door guards the view, or None."""
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        return None
    if issubclass(view_class, EventPermissionMixin):
        return "html"
    if issubclass(view_class, EventScopedViewMixin) and list(view_class.permission_classes) == [EventServicePermission]:
        return "api"
    return None


def event_scoped_urls():
    return [(route, callback) for route, callback in walk(get_resolver().url_patterns) if EVENT_SCOPED.search(route)]


def test_every_event_scoped_view_goes_through_the_one_mixin_or_the_one_permission_class():
    unguarded = [route for route, callback in event_scoped_urls() if door_of(callback) is None]
    assert unguarded == []


def test_the_url_walk_finds_both_kinds_of_door():
    doors = {door_of(callback) for _route, callback in event_scoped_urls()}
    assert doors == {"html", "api"}
    assert len(event_scoped_urls()) >= 20
