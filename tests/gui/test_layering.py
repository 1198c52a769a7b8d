"""The split the style guide asks for, enforced: no Qt in the core, Qt in every gui module, only
qt_numpy touches QImage pixels, no module over 400 lines and no folder of more than 15 modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "workbench"
CORE = PACKAGE / "core"
GUI = PACKAGE / "gui"
QT = ("PySide6", "pyqtgraph")
MAX_LINES = 400
MAX_MODULES = 15


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def modules(folder: Path) -> list[Path]:
    """Every .py file under `folder`, in subpackages too."""
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_walk_finds_the_subpackages():
    # A flat glob would find next to nothing after the regrouping: make sure the walk goes deep.
    assert {p.parent.name for p in modules(CORE)} >= {"model", "recognition", "report"}
    assert {p.parent.name for p in modules(GUI)} >= {"anatomy", "evaluate", "jobs", "widgets"}


def test_core_modules_never_import_qt():
    for path in modules(CORE):
        bad = {m for m in imported_modules(path) if m.split(".")[0] in QT}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_importing_the_whole_core_loads_no_qt():
    code = (
        "import importlib, pkgutil, sys, workbench.core as c\n"
        "names = [m.name for m in pkgutil.walk_packages(c.__path__, 'workbench.core.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "print(len(names))\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'pyqtgraph')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    count, loaded = done.stdout.strip().splitlines()
    assert int(count) >= len(modules(CORE)) - 1  # every module (and package) was imported
    assert loaded == "[]"


def test_every_gui_module_imports_qt():
    for path in modules(GUI):
        if path.name == "__init__.py":
            continue
        found = {m for m in imported_modules(path) if m.split(".")[0] in QT}
        assert found, f"{path.relative_to(ROOT)} imports no Qt: it belongs in the core"


def test_no_module_is_over_400_lines():
    for path in modules(PACKAGE):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines"


def test_no_folder_holds_more_than_15_modules():
    folders = {path.parent for path in modules(PACKAGE)}
    for folder in folders:
        count = sum(1 for p in folder.glob("*.py") if p.name != "__init__.py")
        assert count <= MAX_MODULES, f"{folder.relative_to(ROOT)} holds {count} modules"


def test_only_qt_numpy_touches_qimage_pixels():
    checked = 0
    for path in modules(GUI):
        text = path.read_text(encoding="utf-8")
        if path.relative_to(GUI) != Path("widgets", "qt_numpy.py"):
            assert "constBits" not in text and ".bits()" not in text, path.name
            checked += 1
    assert checked > 30
    assert "constBits" in (GUI / "widgets" / "qt_numpy.py").read_text(encoding="utf-8")
