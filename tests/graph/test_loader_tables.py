"""The loaders write no table name as a string: each comes from the models' meta, so a renamed
table cannot leave a stale name in a statement. The check reads the source, not the database."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tortoise.models import Model

import models

LOADERS = Path(__file__).resolve().parents[2] / "resolvers" / "loaders"
# A bare identifier where SQL names a table.
_TABLE_POSITION = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+([A-Za-z_]\w*)", re.IGNORECASE)


def _tables() -> set[str]:
    return {
        value._meta.db_table
        for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, Model) and value._meta.db_table
    }


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of docstring nodes: prose, not SQL ("reads steps from tasks" is fine there)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def table_names_written(source: str, tables: set[str]) -> list[str]:
    """Each string constant of `source` (f-string parts included) that names a table of
    `tables`: quoted anywhere, bare after FROM/JOIN/INTO/UPDATE, or the whole constant."""
    tree = ast.parse(source)
    skipped = _docstrings(tree)
    quoted = {f"{quote}{name}{quote}" for name in tables for quote in "\"'`"}
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if id(node) in skipped:
            continue
        text = node.value
        bare = {word.lower() for word in _TABLE_POSITION.findall(text)} & tables
        if text in tables or bare or any(name in text for name in quoted):
            found.append(f"line {node.lineno}: {text!r}")
    return found


def test_the_loaders_write_no_table_name():
    tables = _tables()
    sources = sorted(LOADERS.glob("*.py"))
    assert sources, LOADERS
    found = {
        path.name: names
        for path in sources
        if (names := table_names_written(path.read_text(), tables))
    }
    assert not found, found


def test_the_check_catches_quoted_and_bare_table_names():
    snippet = '''
"""Reads steps from tasks: prose, not SQL."""
QUOTED = 'SELECT "id" FROM "tasks" WHERE id = 1'
BARE = f"SELECT id FROM steps JOIN citations ON x WHERE {1}"
WHOLE = "step_documents"
FROM_META = f'SELECT {1} FROM "{2}" WHERE id = ANY($1) ORDER BY id'
SUBQUERY = "SELECT a FROM (SELECT a FROM b) AS ranked"
'''
    found = table_names_written(snippet, {"tasks", "steps", "citations", "step_documents"})
    assert sorted(entry.split(":")[0] for entry in found) == ["line 3", "line 4", "line 5"], found


def test_the_model_tables_are_known_without_a_database():
    # Meta.table is read at class creation, so the check needs no initialised ORM.
    assert {"tasks", "steps", "task_documents", "step_documents", "citations"} <= _tables()
