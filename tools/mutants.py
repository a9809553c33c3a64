"""`make mutants`: mutation testing of the core rules with mutmut, each module against its own tests.

For every module below, a fresh copy of the project (the files git knows,
committed or not) goes to build/mutants/<name>/, with a [tool.mutmut] section
naming the one file to mutate and the tests that guard it; `mutmut run` runs
there (mutmut 3 copies the packages into mutants/ and swaps functions in and
out through trampolines, so each module needs a run of its own). The verdicts
of all modules, the surviving mutants' diffs and a score per module go to
docs/mutants-report.txt. Not part of CI: it takes about an hour on two cores.

    python tools/mutants.py                 # every module
    python tools/mutants.py versioning drf  # some of them (by name)
    python tools/mutants.py --report        # only rewrite the report from the last runs
"""

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "mutants"
REPORT = ROOT / "docs" / "mutants-report.txt"
PACKAGES = ["core", "eventsite", "events", "tickets", "notifications", "permissions"]
ALSO_COPY = ["conftest.py", "manage.py", "README.md", "templates", "static", "deploy", "benchmarks"]
# The tests that run against real servers or browsers prove other things and take minutes: left out.
MARKERS = "not browser and not faults and not fuzz and not nginx"
# mutmut stops a mutant's tests after (their time + constant) * multiplier seconds of wall clock (twice that
# of CPU) and calls it a timeout, which counts as killed. Its defaults (1 and 15) gave a function run by a
# few short tests some 20 seconds: on a loaded machine the forked worker's test setup alone took longer, and
# survivors were reported as timeouts (tickets/orders/services.py, 2026-12-02). 20 and 5: at least 100 s.
TIMEOUT_CONSTANT, TIMEOUT_MULTIPLIER = 20.0, 5.0

# name: (module to mutate, its tests), smallest first.
MODULES = {
    "versioning": (
        "core/versioning.py",
        [
            "core/tests/test_versioning.py",
            "core/tests/test_changes.py",
            "core/tests/test_conditional.py",
            # The event's list counters are read by the engine's query (with_event_counters).
            "permissions/tests/test_event_loaded_once.py",
            "permissions/tests/test_engine.py",
        ],
    ),
    "notifications": ("notifications/services.py", ["notifications/tests/test_services.py"]),
    "conditional": ("core/conditional.py", ["core/tests/test_conditional.py"]),
    "images": (
        "core/images.py",
        ["core/tests/test_images.py", "events/tests/test_background.py", "events/tests/test_background_services.py"],
    ),
    "ticket-forms": ("tickets/forms.py", ["tickets/tests/test_forms.py"]),
    "engine": (
        "permissions/engine.py",
        [
            "permissions/tests/test_engine.py",
            "permissions/tests/test_track_scope.py",
            # The engine's answers narrowed by a token; its copy of the matrix; a token request to an event (the
            # token's user and the event read together); the event list of an event-limited token.
            "permissions/tests/test_token_scope.py",
            "permissions/tests/test_matrix.py",
            "permissions/tests/test_token_and_event_together.py",
            "permissions/tests/test_api_tokens.py",
        ],
    ),
    "permission-services": (
        "permissions/services.py",
        [
            "permissions/tests/test_roles.py",
            "permissions/tests/test_invites.py",
            "permissions/tests/test_security_invites.py",
            "permissions/tests/test_team_page.py",
        ],
    ),
    "orders": ("tickets/orders/services.py", ["tickets/tests/test_order_services.py"]),
    "drf": (
        "permissions/drf.py",
        [
            "permissions/tests/test_api_doors.py",
            "permissions/tests/test_track_scope.py",
            "permissions/tests/test_token_and_event_together.py",
            "permissions/tests/test_event_loaded_once.py",
            "permissions/tests/test_event_scoped_viewset.py",
        ],
    ),
}


def toml_list(items):
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def prepare(name, module, tests):
    """Copy the project to build/mutants/<name>/ and configure mutmut there; return the folder."""
    folder = BUILD / name
    if folder.exists():
        shutil.rmtree(folder)
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = ROOT / relative
        if source.is_file() and not relative.startswith(("build/", "docs/")):
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    with open(folder / "pyproject.toml", "a") as config:
        config.write(
            f"""
[tool.mutmut]
source_paths = {toml_list(PACKAGES)}
only_mutate = {toml_list([module])}
also_copy = {toml_list(ALSO_COPY)}
pytest_add_cli_args_test_selection = {toml_list(tests)}
pytest_add_cli_args = {toml_list(["-p", "no:cacheprovider", "-m", MARKERS])}
use_git_change_detection = false
timeout_constant = {TIMEOUT_CONSTANT}
timeout_multiplier = {TIMEOUT_MULTIPLIER}
"""
        )
    return folder


def mutmut(folder, *args, capture=False):
    command = [str(Path(sys.executable).with_name("mutmut")), *args]
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    for variable in ("DATABASE_URL", "REDIS_URL"):  # the embedded defaults: SQLite, in-memory layers
        env.pop(variable, None)
    return subprocess.run(command, cwd=folder, env=env, capture_output=capture, text=True, check=False)


def verdicts(folder):
    """Return {mutant name: status} of a finished run."""
    out = mutmut(folder, "results", "--all", "true", capture=True).stdout
    found = {}
    for line in out.splitlines():
        mutant, _, status = line.strip().rpartition(": ")
        if mutant:
            found[mutant] = status
    return found


def report():
    today = datetime.date.today().isoformat()
    lines = [f"Mutation testing with mutmut, {today} (make mutants; see docs/testing.md)", ""]
    summary, details = [], []
    for name, (module, tests) in MODULES.items():
        folder = BUILD / name
        if not (folder / "mutants").exists():
            summary.append(f"{module:32} not run (scores of earlier runs: docs/testing.md)")
            continue
        found = verdicts(folder)
        if not found:
            summary.append(f"{module:32} not run")
            continue
        counts = {}
        for status in found.values():
            counts[status] = counts.get(status, 0) + 1
        killed = counts.get("killed", 0) + counts.get("timeout", 0)
        # "no tests": no selected test runs the mutated function; counted against the score like a survivor.
        tested = killed + counts.get("survived", 0) + counts.get("no tests", 0)
        score = f"{100 * killed / tested:.1f}%" if tested else "-"
        others = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
        summary.append(f"{module:32} score {score:>6}  ({others}); tests: {' '.join(tests)}")
        for mutant, status in sorted(found.items()):
            if status not in ("killed", "timeout", "not checked"):
                diff = mutmut(folder, "show", mutant, capture=True).stdout.strip()
                details += [f"--- {module}: {mutant} ({status})", diff, ""]
    lines += [*summary, "", "Mutants not killed (each is killed by a test or explained in docs/testing.md):", ""]
    lines += details or ["none"]
    REPORT.write_text("\n".join(lines) + "\n")
    print(f"wrote {REPORT.relative_to(ROOT)}")


def main(arguments):
    if arguments != ["--report"]:
        names = arguments or list(MODULES)
        unknown = [name for name in names if name not in MODULES]
        if unknown:
            sys.exit(f"unknown module(s): {', '.join(unknown)}; known: {', '.join(MODULES)}")
        for name in names:
            module, tests = MODULES[name]
            print(f"==> {name}: {module} against {' '.join(tests)}", flush=True)
            mutmut(prepare(name, module, tests), "run", "--max-children", os.environ.get("MUTANTS_JOBS", "2"))
    report()


if __name__ == "__main__":
    main(sys.argv[1:])
