"""Which module writes which table: read off the source, statement by statement.

A write is either SQL the module spells (`INSERT INTO t`, `UPDATE t`, `DELETE FROM t` in a
string or f-string of its own) or an ORM call on a model's manager that writes
(`Model.objects....create/update/...`, `Model(...).save()` is not spelt this way here).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tongzhou"
SQL_WRITE = re.compile(r'\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([a-z]+_[a-z_]+)', re.I)
ORM_WRITES = {"create", "bulk_create", "get_or_create", "update_or_create", "update", "delete",
              "bulk_update"}  # fmt: skip


def sources() -> list[Path]:
    """The platform's own modules: no tests, no migrations."""
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    )


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _models_imported(tree: ast.Module) -> dict[str, str]:
    """Local name -> app label of the models a module imports from `tongzhou.<app>.models`."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith(".models"):
            parts = node.module.split(".")
            if parts[0] == "tongzhou" and len(parts) == 3:
                for alias in node.names:
                    found[alias.asname or alias.name] = parts[1]
    return found


def _manager_root(node: ast.expr) -> str | None:
    """`Model` of a call chain `Model.objects.filter(...).update(...)`, if it is one."""
    saw_manager = False
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            saw_manager |= node.attr == "objects"
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id if saw_manager else None
        else:
            return None


def writers() -> dict[str, set[str]]:
    """Module -> what it writes: table names it spells in SQL, `app.Model` it writes by ORM."""
    written: dict[str, set[str]] = defaultdict(set)
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = _module(path)
        models = _models_imported(tree)
        local_models = {
            node.name
            for node in tree.body
            if isinstance(node, ast.ClassDef) and path.name == "models.py"
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                written[module] |= {table.lower() for table in SQL_WRITE.findall(node.value)}
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ORM_WRITES
            ):
                root = _manager_root(node.func.value)
                if root in models:
                    written[module].add(f"{models[root]}.{root}")
                elif root in local_models:
                    written[module].add(f"{path.parent.name}.{root}")
    return {module: tables for module, tables in written.items() if tables}


def owner(table: str) -> str:
    """The app a table or `app.Model` belongs to."""
    return re.split(r"[._]", table, maxsplit=1)[0]
