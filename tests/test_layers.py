"""The layers contract that `make lint` checks holds on the code, and fails on an import
that goes upwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(  # noqa: S603 - our own venv's lint-imports on a copy of our tree
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "static", "locale")
    for package in ("tongzhou", "config"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")

    kept = _lint_imports(tmp_path)
    assert kept.returncode == 0, kept.stdout + kept.stderr

    models = tmp_path / "tongzhou" / "ledger" / "models.py"
    models.write_text(models.read_text() + "\nfrom tongzhou.meals import services  # upwards\n")
    broken = _lint_imports(tmp_path)
    assert broken.returncode != 0
    assert "tongzhou.ledger is not allowed to import tongzhou.meals" in broken.stdout
