"""The simulator package's import graph, TYPE_CHECKING imports included, has no cycle."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

PACKAGE = "simulator"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE


def _targets(node: ast.Import | ast.ImportFrom, modules: set[str]) -> set[str]:
    """Return the package modules one import statement loads."""
    if isinstance(node, ast.Import):
        dotted = [alias.name for alias in node.names]
    elif node.level > 1:
        return set()
    elif node.module is None or (node.level == 0 and node.module == PACKAGE):
        dotted = [f"{PACKAGE}.{alias.name}" for alias in node.names]
    else:
        dotted = [f"{PACKAGE}.{node.module}" if node.level else node.module]
    found = set()
    for name in dotted:
        head, _, rest = name.partition(".")
        if head == PACKAGE:
            module = rest.partition(".")[0] or "__init__"
            # A name that is not a module is bound by the package's __init__.
            found.add(module if module in modules else "__init__")
    return found


def import_graph() -> dict[str, set[str]]:
    """Return module → package modules it imports, at any depth of its body."""
    modules = {path.stem for path in ROOT.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for module in modules:
        tree = ast.parse((ROOT / f"{module}.py").read_text(encoding="utf-8"))
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges |= _targets(node, modules)
        graph[module] = edges - {module}
    return graph


def test_graph_sees_imports() -> None:
    graph = import_graph()
    assert {"world", "server"} <= graph["core"]
    assert "world" in graph["httputil"]  # a TYPE_CHECKING import
    assert "engines" in graph["world"]  # `from . import engines`


def test_no_import_cycle() -> None:
    try:
        TopologicalSorter(import_graph()).prepare()
    except CycleError as err:
        # graphlib lists the cycle importer-last; reversed, each module imports the next.
        cycle = " -> ".join(reversed(err.args[1]))
        raise AssertionError(f"import cycle: {cycle}") from None
