"""The architecture docs/architecture.md describes is the code's: the apps
import one way, engagement's folder tree is the one written down, and its
capabilities depend on each other in the documented order only."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"
APPS = ("engagement", "visits", "feedback", "mentoring")
# Which of the other apps each app may import (docs/architecture.md's direction).
APPS_MAY_IMPORT = {
    "engagement": set(),
    "visits": {"engagement"},
    "feedback": {"engagement", "visits"},
    "mentoring": {"engagement"},
}
# The top of engagement: pages and wiring, which may use any capability.
TOP = {
    "views.py",
    "forms.py",
    "filters.py",
    "admin.py",
    "urls.py",
    "tasks.py",
    "apps.py",
    "models.py",
    "demo.py",
    "health.py",
}
TOP_FOLDERS = {"management", "templatetags", "tests", "migrations"}


def code_of(app: str) -> Iterator[Path]:
    """The app's own modules: not its tests, nor its migrations."""
    for path in sorted((ROOT / app).rglob("*.py")):
        if not {"tests", "migrations"} & set(path.relative_to(ROOT).parts):
            yield path


def imported_modules(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def documented_block(heading: str) -> list[str]:
    """The lines of the first fenced block after ``heading`` in docs/architecture.md."""
    text = ARCHITECTURE.read_text()
    after = text.split(f"## {heading}\n", 1)[1]
    block = re.search(r"```text\n(.*?)```", after, re.S)
    assert block, f"docs/architecture.md has no block under “{heading}”"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_apps_import_one_way():
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for app in APPS
        for path in code_of(app)
        for module in imported_modules(path)
        if module.split(".")[0] in APPS
        and module.split(".")[0] != app
        and module.split(".")[0] not in APPS_MAY_IMPORT[app]
    ]

    assert wrong == []


def test_engagements_folder_tree_is_the_one_written_down():
    documented = {
        match.group(1) for line in documented_block("The folder tree") if (match := re.match(r"  (\w+)/", line))
    }
    actual = {path.name for path in (ROOT / "engagement").iterdir() if path.is_dir() and path.name != "__pycache__"}

    assert documented == actual
    for app in (*APPS[1:], "config"):
        assert any(line.startswith(f"{app}/") for line in documented_block("The folder tree")), app


def test_engagements_capabilities_depend_on_those_below_them_only():
    ranks = {}
    for rank, line in enumerate(reversed(documented_block("Layers inside engagement"))):
        for name in line.split(","):
            ranks[name.strip()] = rank
    wrong = []
    for path in code_of("engagement"):
        parts = path.relative_to(ROOT / "engagement").parts
        if parts[-1] in TOP or parts[0] in TOP_FOLDERS or (len(parts) == 1 and parts[0] == "__init__.py"):
            continue
        source = parts[0].removesuffix(".py")
        assert source in ranks, f"engagement/{source} is not in the documented layers"
        for module in imported_modules(path):
            names = module.split(".")
            if names[0] != "engagement" or len(names) < 2 or names[-1] == "models" or names[1] == source:
                continue
            target = names[1]
            if target not in ranks or ranks[target] >= ranks[source]:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")

    assert wrong == []


# The pages of visits that every app links to, where it names an account or
# an engagement or offers to log one: an account's page, an engagement's
# page, the quick log, a request for an executive's time, and the
# engagements export beside the program's other exports. Any other link to
# an app's page goes the way the imports go.
SHARED_PAGES = {
    "visits:account_engagements",
    "visits:engagement_detail",
    "visits:log_contact",
    "visits:engagement_request",
    "visits:export_engagements",
}
URL_NAME = re.compile(r"""(?:\{%\s*url\s+|reverse(?:_lazy)?\(|redirect\()\s*["'](\w+):(\w+)["']""")


def url_names_used(app: str) -> Iterator[tuple[Path, str]]:
    """Every namespaced URL name the app's code and templates reverse."""
    paths = [*code_of(app), *sorted((ROOT / "templates" / app).rglob("*.html"))]
    for path in paths:
        for match in URL_NAME.finditer(path.read_text()):
            yield path, f"{match.group(1)}:{match.group(2)}"


def test_the_apps_link_to_each_others_pages_one_way():
    wrong = [
        f"{path.relative_to(ROOT)} links to {name}"
        for app in APPS
        for path, name in url_names_used(app)
        if (namespace := name.split(":")[0]) in APPS
        and namespace != app
        and namespace not in APPS_MAY_IMPORT[app]
        and name not in SHARED_PAGES
    ]

    assert wrong == []


def test_the_url_name_pattern_finds_links_in_templates_and_code():
    names = {name for _, name in url_names_used("mentoring")}

    assert {"mentoring:pairing_detail", "visits:account_engagements"} <= names
