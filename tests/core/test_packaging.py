"""A plain install carries models/ and assets/ into the package; the core/GUI split holds."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_carries_models_and_assets(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("needs git to list the tracked files")
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "scratch",
            "__pycache__",
            "*.egg-info",
            "build",
            "dist",
            ".pytest_cache",
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
        ],
        check=True,
    )
    (wheel,) = (tmp_path / "dist").glob("workbench-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for model in (ROOT / "models").glob("*.onnx"):
        assert f"workbench/models/{model.name}" in names
        assert f"workbench/models/{model.stem}.json" in names
    assets = [p for p in (ROOT / "assets").rglob("*") if p.is_file() and p.name != ".keep"]
    for asset in assets:
        assert f"workbench/assets/{asset.relative_to(ROOT / 'assets').as_posix()}" in names
    assert "workbench/cli/__init__.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "workbench = workbench.cli:run" in zipfile.ZipFile(wheel).read(entry_points).decode()


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_core_never_imports_qt():
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            mods & {"PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6"}
        )
        for path in (ROOT / "workbench" / "core").rglob("*.py")
        if (mods := _imported_modules(path))
        & {"PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6"}
    }
    assert offenders == {}


def test_cli_imports_qt_only_inside_commands():
    modules = sorted((ROOT / "workbench" / "cli").rglob("*.py"))
    assert len(modules) > 1
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = set()
        for node in tree.body:
            if isinstance(node, ast.Import):
                top_level.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                top_level.add(node.module)
        assert not any(
            name.startswith(("PySide6", "pyqtgraph", "workbench.gui", "torch"))
            for name in top_level
        ), path.name
