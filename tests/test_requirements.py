"""The requirements: a runtime set the production image installs alone, a
development set on top of it, both locked with every package pinned and
hashed, and settings and code that run with the runtime set only."""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import shlex
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from tests.deployment import BASE_DIR

REQUIREMENTS = BASE_DIR / "requirements"
LOCKS = ("uv", "base", "dev")
# The project's own packages: what the production image runs.
APPS = ("config", "engagement", "visits", "feedback", "mentoring")
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>\S+?)(?:\s*;.*)?$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(path: Path) -> list[str]:
    """The lines of a pip requirements file, continuations joined and
    comments left out."""
    joined = re.sub(r"\\\n", " ", path.read_text())
    lines = (re.sub(r"(^|\s)#.*", "", line).strip() for line in joined.splitlines())
    return [line for line in lines if line]


def pins(path: Path) -> list[tuple[str, str, frozenset[str]]]:
    """Each package a requirements file names: its name, pinned version and
    hashes. A line that names a package without pinning it fails the test."""
    found = []
    for line in requirement_lines(path):
        if line.startswith(("-r ", "-c ")):
            continue
        requirement, *options = re.split(r"\s+(?=--)", line)
        match = PIN.match(requirement)
        assert match, f"{path.name}: {requirement!r} is not pinned with =="
        found.append((canonical(match["name"]), match["version"], frozenset(options)))
    return found


def lock(name: str) -> dict[str, tuple[str, frozenset[str]]]:
    """Each package of a lock, with its version and hashes."""
    packages = {package: (version, hashes) for package, version, hashes in pins(REQUIREMENTS / f"{name}.txt")}
    for package, (_, hashes) in packages.items():
        assert hashes and all(h.startswith("--hash=sha256:") for h in hashes), f"{name}.txt: {package} has no hash"
    return packages


def top_level(name: str) -> dict[str, str]:
    """The packages a .in file names itself, and their pins."""
    return {package: version for package, version, _ in pins(REQUIREMENTS / f"{name}.in")}


@pytest.mark.parametrize("name", LOCKS)
def test_each_lock_pins_and_hashes_every_package_at_its_in_files_version(name):
    packages = lock(name)

    assert packages
    assert top_level(name).items() <= {package: version for package, (version, _) in packages.items()}.items()


def test_development_installs_the_runtime_set_at_the_same_versions_and_hashes():
    runtime, development = lock("base"), lock("dev")

    assert runtime.items() <= development.items()
    assert lock("uv").items() <= development.items()


def test_the_runtime_set_holds_no_test_or_development_tool():
    runtime = set(lock("base"))

    for tool in (*top_level("dev"), *top_level("uv")):
        assert tool not in runtime, f"{tool} is a development tool, yet the production image would install it"


def test_no_requirements_file_lists_a_package_twice():
    for path in (BASE_DIR / "requirements.txt", *sorted(REQUIREMENTS.iterdir())):
        names = [package for package, _, _ in pins(path)]
        assert len(names) == len(set(names)), f"{path.name} lists {sorted({n for n in names if names.count(n) > 1})}"


def test_the_top_level_requirements_file_is_the_runtime_lock():
    # What a Procfile platform installs, as the production image does.
    assert requirement_lines(BASE_DIR / "requirements.txt") == ["-r requirements/base.txt"]


def test_the_production_image_installs_the_runtime_lock_only_and_checks_its_hashes():
    instructions = re.sub(r"\\\n", " ", (BASE_DIR / "Dockerfile").read_text()).splitlines()
    installs = [shlex.split(line) for line in instructions if line.startswith("RUN ") and " install " in line]

    assert len(installs) == 1, installs
    words = installs[0]
    assert "pip" in words and "--require-hashes" in words
    assert words[words.index("--requirement") + 1] == "requirements/base.txt"
    assert "dev.txt" not in " ".join(instructions)


@functools.cache
def distribution_of(module: str) -> str | None:
    """The runtime or development package that provides a top-level module;
    None for the standard library and the project's own code."""
    if module in sys.stdlib_module_names or (BASE_DIR / module).is_dir() or (BASE_DIR / f"{module}.py").exists():
        return None
    distributions = packages_distributions().get(module)
    assert distributions, f"no installed package provides {module}"
    return canonical(distributions[0])


def test_settings_name_only_runtime_packages_in_development_and_in_production():
    runtime = set(lock("base"))
    script = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.INSTALLED_APPS + settings.MIDDLEWARE))"
    )
    environments = {
        "development": {"DJANGO_ENV": "development", "DEBUG": "true"},
        "production": {
            "DJANGO_ENV": "production",
            "DEBUG": "false",
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "groundwork.example",
        },
    }
    for environment, variables in environments.items():
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **variables}
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True
        )
        for dotted in json.loads(result.stdout):
            package = distribution_of(dotted.split(".")[0])
            assert package is None or package in runtime, f"{environment} settings name {dotted}, from {package}"


class _Imports(ast.NodeVisitor):
    """The top-level modules a file imports when it runs: imports only a type
    checker follows (under ``if TYPE_CHECKING:``) are left out."""

    def __init__(self) -> None:
        self.modules: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if isinstance(node.test, ast.Name | ast.Attribute) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.modules.update(alias.name for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.modules.add(node.module)


def test_the_code_the_production_image_runs_imports_only_runtime_packages():
    runtime = set(lock("base"))
    files = [BASE_DIR / "manage.py"]
    for app in APPS:
        files += [path for path in (BASE_DIR / app).rglob("*.py") if "tests" not in path.relative_to(BASE_DIR).parts]
    assert len(files) > 50

    for path in files:
        visitor = _Imports()
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        where = path.relative_to(BASE_DIR)
        for module in visitor.modules:
            assert "tests" not in module.split("."), f"{where} imports test code ({module}), which needs test tools"
            package = distribution_of(module.split(".")[0])
            assert package is None or package in runtime, f"{where} imports {module}, from {package}: not in base.in"
