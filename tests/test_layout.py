"""The layout of the package: no import cycle, no private helper across packages, small files,
no name that hides its module, and ``import pid`` free of the heavy libraries."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import pid

ROOT = Path(pid.__file__).parent
#: The most lines a source file of the package may have.
MAX_LINES = 700


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__``)."""
    modules = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _owner(name: str) -> str:
    """The module a dotted import name lives in (``pid.a.b.func`` -> ``pid.a.b``)."""
    while name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _imports(module: str) -> list[tuple[str, str]]:
    """``(module imported, name imported)`` for every import of the package's own code,
    at the top of the file or inside functions alike."""
    found = []
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            found += [(_owner(a.name), "") for a in node.names if a.name.split(".")[0] == "pid"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pid":
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.append((full, "") if full in MODULES else (node.module, alias.name))
    return found


def _graph(key) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        if module == "pid":  # the facade re-exports; nothing inside imports it
            continue
        source = key(module)
        targets = {key(target) for target, _ in _imports(module)} - {source}
        graph.setdefault(source, set()).update(targets)
    return graph


def _package(module: str) -> str:
    """The top-level part of the package a module belongs to (``pid.estimators.exact.path``
    -> ``pid.estimators``; ``pid.result`` -> itself)."""
    return ".".join(module.split(".")[:2])


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, or None."""
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        trail.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*trail[trail.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        state[node] = 2
        trail.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_modules():
    assert _cycle(_graph(lambda module: module)) is None


def test_no_import_cycle_between_packages():
    graph = _graph(_package)
    assert "pid.estimators" in graph["pid.workflows"]  # the graph sees lazy imports too
    assert _cycle(graph) is None


def test_the_cycle_finder_finds_cycles():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_private_helper_is_imported_across_packages():
    crossing = [
        f"{module} imports {name} from {target}"
        for module in MODULES
        for target, name in _imports(module)
        if name.startswith("_")
        and not name.startswith("__")
        and _package(target) != _package(module)
    ]
    assert crossing == []


def _exported(path: Path) -> set[str]:
    """The names a package's ``__init__`` lists in ``__all__`` (read, not imported: some
    packages need torch)."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return {element.value for element in node.value.elts}
    return set()


def test_no_exported_name_hides_a_module_of_its_package():
    hidden = []
    for module, path in MODULES.items():
        if path.name != "__init__.py":
            continue
        submodules = {
            name.rpartition(".")[2] for name in MODULES if name.rpartition(".")[0] == module
        }
        hidden += [f"{module}.{name}" for name in _exported(path) & submodules]
    assert "pid.estimators.cvx" not in hidden and _exported(ROOT / "__init__.py")
    assert hidden == []


def test_no_source_file_is_too_long():
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


@pytest.mark.parametrize("module", ["pid", "pid.workflows", "pid.report", "pid.cli"])
def test_importing_leaves_the_heavy_libraries_alone(module):
    code = (
        f"import sys, {module}; heavy = ('torch', 'pandas', 'sklearn', 'cvxpy'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
