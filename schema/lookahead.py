"""Looking ahead in the document: does this field's selection reach a given path? Used to load
a page's relations in the same batch as the page, and only when they are asked for."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

from schema.graphql_core import graphql_core_info
from schema.info import Info


def selects(info: Info, *path: str) -> bool:
    raw = graphql_core_info(info)
    key = (tuple(id(node) for node in raw.field_nodes), path)
    memo = info.context.lookahead
    if key not in memo:
        sets = [node.selection_set for node in raw.field_nodes if node.selection_set]
        for name in path:
            sets = list(_children(sets, name, raw.fragments))
        memo[key] = bool(sets)
    return memo[key]


def _children(
    selection_sets: Iterable[SelectionSetNode],
    name: str,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> Iterable[SelectionSetNode]:
    for selection_set in selection_sets:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode) and selection.name.value == name:
                yield selection.selection_set or SelectionSetNode(selections=())
            elif isinstance(selection, InlineFragmentNode):
                yield from _children([selection.selection_set], name, fragments)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    yield from _children([fragment.selection_set], name, fragments)
