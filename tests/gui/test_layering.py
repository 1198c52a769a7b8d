"""The split the style guide asks for: no Qt in the core; only qt_numpy touches QImage pixels."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "workbench" / "core"
GUI = ROOT / "workbench" / "gui"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_modules_never_import_qt():
    for path in sorted(CORE.glob("*.py")):
        bad = {m for m in imported_modules(path) if m.split(".")[0] in ("PySide6", "pyqtgraph")}
        assert not bad, f"{path.name} imports {bad}"


def test_importing_the_whole_core_loads_no_qt():
    code = (
        "import importlib, pkgutil, sys, workbench.core as c\n"
        "for m in pkgutil.iter_modules(c.__path__):\n"
        "    importlib.import_module('workbench.core.' + m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'pyqtgraph')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_only_qt_numpy_touches_qimage_pixels():
    for path in sorted(GUI.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if path.name != "qt_numpy.py":
            assert "constBits" not in text and ".bits()" not in text, path.name
