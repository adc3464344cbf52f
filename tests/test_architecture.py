"""The architecture as DESIGN §0 draws it, checked on the code itself.

Layers point one way: providers ← library ← projects ← generations ← storyboards ← review, with
the simulator on top; accounts and privatemedia serve all of them and use none. No app
imports another app's views or forms. Nothing imports private names of Django, uvicorn,
websockets or Channels.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [
    "providers",
    "library",
    "projects",
    "generations",
    "storyboards",
    "review",
    "simulator",
]
SHARED = {"accounts", "privatemedia", "studio"}
FIRST_PARTY = set(LAYERS) | SHARED
LIBRARIES = ("django", "uvicorn", "websockets", "channels", "asgiref")


def modules(app: str) -> list[Path]:
    return [
        path
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and "management" not in path.parts
    ]


def imported(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import in the file, functions' bodies included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
    return found


def allowed_for(app: str) -> set[str]:
    if app in SHARED:
        return {app, "studio"} if app != "studio" else FIRST_PARTY
    return set(LAYERS[: LAYERS.index(app) + 1]) | SHARED - {"studio"}


@pytest.mark.parametrize("app", LAYERS + ["accounts", "privatemedia"])
def test_an_app_imports_only_the_layers_below_it(app):
    wrong = []
    for path in modules(app):
        for module, _names in imported(path):
            top = module.split(".")[0]
            if top in FIRST_PARTY and top not in allowed_for(app):
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


@pytest.mark.parametrize("app", LAYERS + ["accounts", "privatemedia"])
def test_no_app_imports_another_apps_views_or_forms(app):
    wrong = []
    for path in modules(app):
        for module, _names in imported(path):
            parts = module.split(".")
            if parts[0] in FIRST_PARTY and parts[0] != app and {"views", "forms"} & set(parts):
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_nothing_imports_private_names_of_the_libraries_it_stands_on():
    wrong = []
    for app in sorted(FIRST_PARTY) + ["benchmarks", "tests"]:
        for path in (ROOT / app).rglob("*.py"):
            for module, names in imported(path):
                if module.split(".")[0] not in LIBRARIES:
                    continue
                private = [p for p in module.split(".") if p.startswith("_")]
                private += [name for name in names if name.startswith("_")]
                if private:
                    wrong.append(f"{path.relative_to(ROOT)}: {module} {private}")
    assert wrong == []
