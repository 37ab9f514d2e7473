"""The house (docs/architecture.md): imports point down the layers only, and no modules import each other in a
circle, counting the imports written inside functions (they are imports all the same)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lower numbers are lower layers; an app may import its own layer's modules and any layer below.
LAYERS = {
    "foundation": 0,
    "accounts": 1,
    "notifications": 2,
    "similarity": 2,
    "members": 3,
    "responsibility": 4,
    "meetings": 5,
    "reviews": 6,
    "rectification": 7,
    "reminders": 8,
    "workbench": 8,
    "seeding": 9,
    "bench": 10,
    "config": 10,
}
SKIPPED = {"migrations", "__pycache__"}


def product_modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for app in LAYERS:
        for path in (ROOT / app).rglob("*.py"):
            if SKIPPED & set(path.parts):
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules PATH imports, wherever in the file the import is written."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    modules = product_modules()
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


def test_every_import_points_down_the_layers() -> None:
    upward = sorted(
        f"{importer} imports {imported}"
        for importer, targets in graph().items()
        for imported in targets
        if LAYERS[imported.split(".")[0]] > LAYERS[importer.split(".")[0]]
    )
    assert upward == []


def test_apps_of_one_layer_do_not_import_each_other() -> None:
    sideways = sorted(
        f"{importer} imports {imported}"
        for importer, targets in graph().items()
        for imported in targets
        if importer.split(".")[0] != imported.split(".")[0]
        and LAYERS[imported.split(".")[0]] == LAYERS[importer.split(".")[0]]
    )
    assert sideways == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert circles == []


def test_the_bottom_layers_name_no_domain_model_even_in_strings() -> None:
    """accounts and foundation read no domain's data by label either (the audit trail's register is filled
    by the domains themselves)."""
    domains = (
        "members.",
        "responsibility.",
        "reviews.",
        "rectification.",
        "notifications.",
        "reminders.",
        "workbench.",
    )
    offenders: dict[str, list[str]] = defaultdict(list)
    for app in ("foundation", "accounts"):
        for path in (ROOT / app).rglob("*.py"):
            if SKIPPED & set(path.parts):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                stripped = line.strip()
                if stripped.startswith("#"):
                    continue
                if any(f'"{domain}' in stripped or f"'{domain}" in stripped for domain in domains):
                    offenders[str(path.relative_to(ROOT))].append(f"{number}: {stripped}")
    # backup_info verifies the whole database, domains included, by label: an operations command.
    offenders.pop("accounts/management/commands/backup_info.py", None)
    assert dict(offenders) == {}


def test_an_import_written_inside_a_function_counts(tmp_path: Path) -> None:
    hidden = tmp_path / "hidden.py"
    hidden.write_text("def later():\n    from reviews.models import Cycle\n    return Cycle\n", encoding="utf-8")
    assert "reviews.models" in imports_of(hidden, product_modules())


PERMISSION_DECISIONS = ("PermissionDenied", "can(", "require(", "scope_for(", "require_administrator(")


def view_modules(app: str) -> list[Path]:
    folder = ROOT / app
    return sorted([*folder.glob("views.py"), *folder.glob("*_views.py"), *folder.glob("views/*.py")])


APPS_WITH_PAGES = (
    "accounts",
    "notifications",
    "similarity",
    "members",
    "meetings",
    "responsibility",
    "reviews",
    "rectification",
    "reminders",
    "workbench",
)


def test_no_view_module_decides_a_permission() -> None:
    """Every app's views ask their app's access module (tests/test_access_walk.py checks they do), never decide."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for app in APPS_WITH_PAGES
        for path in view_modules(app)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if any(word in line for word in PERMISSION_DECISIONS) and not line.strip().startswith(("#", '"'))
    ]
    assert offenders == []


LONG_FILE = 600


def test_a_file_over_six_hundred_lines_says_why_at_its_top() -> None:
    """A long file is a smell unless its docstring says why it stays whole ("Why one long file: ...")."""
    silent = []
    for path in [*(ROOT / app for app in LAYERS), ROOT / "tests"]:
        for module in path.rglob("*.py") if path.is_dir() else []:
            if SKIPPED & set(module.parts):
                continue
            text = module.read_text(encoding="utf-8")
            if text.count("\n") > LONG_FILE and "Why one long file:" not in (ast.get_docstring(ast.parse(text)) or ""):
                silent.append(f"{module.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    assert silent == []


RAW_STATUS = re.compile(r"""status\s*(==|!=|\bin\b)\s*["']""")


def test_no_template_compares_a_raw_status_string() -> None:
    """Templates ask allowed_actions or a named property of the model, so a workflow's rules live in its table."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if RAW_STATUS.search(line)
    ]
    assert offenders == []
