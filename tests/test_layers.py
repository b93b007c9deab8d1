"""The integration's layers: a Home Assistant-free core, and modules of legible size."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).parent.parent / "custom_components" / "waha_presence"

# The modules that must import without Home Assistant installed.
CORE = [
    "presence",
    "fades",
    "activity",
    "engines",
    "models",
    "api",
    "session_config",
    "exceptions",
    "const",
    "freshness",
    "lids",
    "config_upkeep",
]
MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 300
LONG_MODULES = {"config_flow.py"}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Yield every node under `node` except the bodies of `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            # Only the body is skipped: an `else:` there runs.
            for other in child.orelse:
                yield other
                yield from _runtime_nodes(other)
            continue
        yield child
        yield from _runtime_nodes(child)


def runtime_imports(source: str) -> list[tuple[int, str, int]]:
    """Return (line, module, level) of each runtime import; `from . import x` gives x."""
    found: list[tuple[int, str, int]] = []
    for node in _runtime_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.module is None:
                found.extend(
                    (node.lineno, alias.name, node.level) for alias in node.names
                )
            else:
                found.append((node.lineno, node.module, node.level))
    return found


def homeassistant_imports(module: str, package_dir: Path) -> list[str]:
    """Return how `module` reaches homeassistant at run time, following siblings."""
    found: list[str] = []
    seen: set[str] = set()

    def visit(name: str, chain: str) -> None:
        if name in seen:
            return
        seen.add(name)
        source = (package_dir / f"{name}.py").read_text(encoding="utf-8")
        for line, imported, level in runtime_imports(source):
            where = f"{chain}:{line}"
            if level == 0:
                if imported.split(".")[0] == "homeassistant":
                    found.append(f"{where} imports {imported}")
                continue
            # A relative import; only siblings exist in this flat package.
            sibling = imported.split(".")[0]
            if level > 1:
                found.append(f"{where} imports outside the package")
            elif (package_dir / f"{sibling}.py").is_file():
                visit(sibling, f"{where} -> {sibling}")

    visit(module, module)
    return found


@pytest.mark.parametrize("module", CORE)
def test_core_does_not_import_homeassistant(module: str) -> None:
    """The core modules run without Home Assistant, directly and through siblings."""
    assert homeassistant_imports(module, PACKAGE_DIR) == []


@pytest.mark.parametrize(
    "source",
    [
        "from homeassistant.core import callback",
        "import homeassistant.helpers.event as ev",
        "import os, homeassistant",
        "def f():\n    from homeassistant.util import dt",
        "if TYPE_CHECKING:\n    pass\nelse:\n    from homeassistant.core import X",
    ],
    ids=["from", "import as", "second name", "in a function", "else branch"],
)
def test_checker_reports_a_runtime_import(source: str, tmp_path: Path) -> None:
    """The checker catches Home Assistant imported at run time."""
    (tmp_path / "mod.py").write_text(source, encoding="utf-8")
    assert len(homeassistant_imports("mod", tmp_path)) == 1


@pytest.mark.parametrize(
    "source",
    [
        "if TYPE_CHECKING:\n    from homeassistant.core import HomeAssistant",
        "import typing\nif typing.TYPE_CHECKING:\n    import homeassistant",
        "from homeassistant_other import thing\nimport homeassistantx",
    ],
    ids=["TYPE_CHECKING", "typing.TYPE_CHECKING", "similar names"],
)
def test_checker_allows_type_checking_imports(source: str, tmp_path: Path) -> None:
    """Imports only for the type checker, and lookalike names, are allowed."""
    (tmp_path / "mod.py").write_text(source, encoding="utf-8")
    assert homeassistant_imports("mod", tmp_path) == []


@pytest.mark.parametrize(
    "import_line", ["from .helper import thing", "from . import helper"]
)
def test_checker_follows_sibling_imports(import_line: str, tmp_path: Path) -> None:
    """A sibling that imports Home Assistant taints the module importing it."""
    (tmp_path / "core.py").write_text(f"{import_line}\n", encoding="utf-8")
    (tmp_path / "helper.py").write_text(
        "from .leaf import x\nthing = x\n", encoding="utf-8"
    )
    (tmp_path / "leaf.py").write_text(
        "from homeassistant.core import callback as x\n", encoding="utf-8"
    )
    assert homeassistant_imports("core", tmp_path) == [
        "core:1 -> helper:1 -> leaf:1 imports homeassistant.core"
    ]


def test_checker_survives_import_cycles(tmp_path: Path) -> None:
    """Two siblings importing each other are each read once."""
    (tmp_path / "a.py").write_text("from . import b\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("from .a import x\n", encoding="utf-8")
    assert homeassistant_imports("a", tmp_path) == []


def _modules() -> list[Path]:
    return sorted(PACKAGE_DIR.glob("*.py"))


@pytest.mark.parametrize(
    "path",
    [path for path in _modules() if path.name not in LONG_MODULES],
    ids=lambda path: path.name,
)
def test_module_size(path: Path) -> None:
    """No module passes MAX_MODULE_LINES lines, config_flow.py aside."""
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.name} has {lines} lines"


@pytest.mark.parametrize("path", _modules(), ids=lambda path: path.name)
def test_class_size(path: Path) -> None:
    """No class passes MAX_CLASS_LINES lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    sizes = {
        node.name: (node.end_lineno or node.lineno) - node.lineno + 1
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    assert {name: size for name, size in sizes.items() if size > MAX_CLASS_LINES} == {}


def test_size_check_sees_the_package() -> None:
    """The size checks run over the real modules, not an empty glob."""
    names = {path.name for path in _modules()}
    assert {f"{module}.py" for module in CORE} <= names
    assert "coordinator.py" in names
