"""The rooms keep their word: imports flow one way (the import-linter contracts in pyproject.toml),
no two modules import each other, and neither the schema nor the gateway runs an ORM query."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("gateway", "schema", "resolvers", "infra", "models", "agent", "retrieval")
# Calls that read or write rows: QuerySet builders and terminals, and a model's own writes.
ORM_CALLS = frozenset(
    {
        "all", "annotate", "bulk_create", "bulk_update", "create", "delete", "exclude",
        "exists", "fetch_related", "filter", "first", "get", "get_or_create", "get_or_none",
        "in_transaction", "raw", "refresh_from_db", "save", "select_for_update",
        "select_related", "update_or_create", "values", "values_list",
    }
)  # fmt: skip
# Where the gateway sets up the database and checks it is there, and nothing else.
DATABASE_SET_UP = {"gateway/app.py", "gateway/cli.py", "gateway/health.py"}


def test_the_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-4000:]


def test_no_modules_import_each_other() -> None:
    graph = grimp.build_graph(*ROOMS, exclude_type_checking_imports=True)
    assert import_cycles(graph) == []


def test_the_schema_and_the_gateway_run_no_orm_query() -> None:
    calls = [
        f"{path.relative_to(ROOT)}:{line} {call}"
        for room in ("schema", "gateway")
        for path in sorted((ROOT / room).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in DATABASE_SET_UP
        for line, call in orm_calls(path.read_text())
    ]
    assert calls == []


@pytest.mark.parametrize(
    "source",
    [
        "import models\nasync def f():\n    return await models.Task.filter(id=1)\n",
        "from models import Step\nasync def f():\n    return await Step.get_or_none(id=1)\n",
        "from models import Step\nasync def f(step: Step):\n    await step.save()\n",
        "from tortoise.transactions import in_transaction\n",
    ],
)
def test_the_orm_check_sees_queries_and_writes(source: str) -> None:
    assert list(orm_calls(source))


def test_the_orm_check_lets_the_schema_name_models() -> None:
    source = (
        "import models\n"
        "def title(task: models.Task, extra: dict[str, str]) -> str:\n"
        "    return extra.get('title') or task.title\n"
    )
    assert list(orm_calls(source)) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("room", "room.a", "room.b", "room.c"):
        graph.add_module(module)
    graph.add_import(importer="room.a", imported="room.b")
    graph.add_import(importer="room.b", imported="room.a")
    graph.add_import(importer="room.c", imported="room.a")
    assert import_cycles(graph) == [["room.a", "room.b"]]


def orm_calls(source: str) -> Iterator[tuple[int, str]]:
    """ORM calls on a model class or on anything in a module that imports the models or
    Tortoise (where a receiver's type cannot be told apart, every ORM-named call counts, except
    a mapping's `.get`)."""
    tree = ast.parse(source)
    imported = _names_from_models(tree)
    if not imported:
        return
    for node in ast.walk(tree):
        if _imports_in_transaction(node):
            yield getattr(node, "lineno", 0), "in_transaction"
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method = node.func.attr
        if method not in ORM_CALLS:
            continue
        if method == "get" and not _names_a_model(node.func.value, imported):
            continue  # dict.get, QueryParams.get, ...
        yield node.lineno, ast.unparse(node.func)


def _imports_in_transaction(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("tortoise")
        and any(alias.name == "in_transaction" for alias in node.names)
    )


def _names_from_models(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name for a in node.names if a.name.split(".")[0] == "models"}
            if any(a.name.startswith("tortoise") for a in node.names):
                names.add("tortoise")
        elif isinstance(node, ast.ImportFrom) and node.module:
            root = node.module.split(".")[0]
            if root == "models":
                names |= {alias.asname or alias.name for alias in node.names}
            elif root == "tortoise":
                names.add("tortoise")
    return names


def _names_a_model(receiver: ast.expr, imported: set[str]) -> bool:
    while isinstance(receiver, ast.Attribute):
        receiver = receiver.value
    return isinstance(receiver, ast.Name) and receiver.id in imported


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every group of modules that import each other, directly or around a loop (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(groups)
