"""The work a document asks of validation, measured before validation runs.

graphql-core's rules cost far more than parsing: OverlappingFieldsCanBeMerged compares, in pairs,
every two fields that land at one place in the response (quadratic), and fragments spread in
fragments multiply what the rules walk (exponential). So before any rule runs, a document is
measured in time linear in its size: its selections counted with every fragment expanded
(fragment sizes memoised, never re-expanded; a cycle refused), then, only when that count is
within the limit, the pairs of fields that share a place in the response. Either over its limit
refuses the document with BAD_REQUEST before graphql-core sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from infra.errors import ErrorCode

# Pairs of same-place fields the overlap rule may compare: ~20 ms of work at most.
MAX_FIELD_PAIRS = 20_000


@dataclass(slots=True)
class _Outline:
    """One operation or fragment without its spreads expanded."""

    selections: int = 0
    spreads: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Measurement:
    """A document's selections, fragments expanded (counted until over the limit), and why it
    is refused before validation, if it is."""

    selections: int
    refusal: GraphQLError | None = None


def measure_document(
    document: DocumentNode, max_selections: int, max_pairs: int = MAX_FIELD_PAIRS
) -> Measurement:
    fragments: dict[str, FragmentDefinitionNode] = {}
    operations: list[OperationDefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments.setdefault(definition.name.value, definition)
        elif isinstance(definition, OperationDefinitionNode):
            operations.append(definition)
    outlines = {name: _outline(fragment) for name, fragment in fragments.items()}
    sizes, cycle = _expanded_sizes(outlines, cap=max_selections + 1)
    if cycle is not None:
        return Measurement(0, _refusal(f"Cannot spread fragment '{cycle}' within itself."))
    roots: list[tuple[ExecutableDefinitionNode, _Outline]] = [
        (operation, _outline(operation)) for operation in operations
    ]
    # Fragments no operation spreads are walked by validation on their own.
    reached = _reached([outline for _, outline in roots], outlines)
    roots += [(fragments[name], outlines[name]) for name in outlines if name not in reached]
    total = 0
    for _, outline in roots:
        total += outline.selections + sum(sizes.get(name, 0) for name in outline.spreads)
        if total > max_selections:
            message = (
                f"The document has more than {max_selections} selections once its fragments "
                "are expanded; ask for less in one request"
            )
            return Measurement(total, _refusal(message))
    worst = _worst_repeated_field([root for root, _ in roots], fragments)
    if worst.pairs > max_pairs:
        message = (
            f"The document asks for '{worst.path}' {worst.count} times at one place in the "
            f"response ({worst.pairs} same-place pairs to compare, at most {max_pairs}); "
            "ask for each field once"
        )
        return Measurement(total, _refusal(message))
    return Measurement(total)


def _refusal(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": ErrorCode.BAD_REQUEST})


def _selections(selection_set: SelectionSetNode | None) -> Iterator[object]:
    """Every selection below a selection set, spreads not followed; no recursion (nesting is
    as deep as the document likes)."""
    stack = [selection_set] if selection_set is not None else []
    while stack:
        for selection in stack.pop().selections:
            yield selection
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                stack.append(inner)


def _outline(definition: ExecutableDefinitionNode) -> _Outline:
    outline = _Outline()
    for selection in _selections(definition.selection_set):
        outline.selections += 1
        if isinstance(selection, FragmentSpreadNode):
            outline.spreads.append(selection.name.value)
    return outline


def _expanded_sizes(outlines: dict[str, _Outline], cap: int) -> tuple[dict[str, int], str | None]:
    """Each fragment's selections with its spreads expanded (saturating at `cap`), computed once
    per fragment, depth first without recursion; and the name of a fragment that spreads itself,
    if one does. Unknown fragments count 0: validation reports them."""
    sizes: dict[str, int] = {}
    on_path: set[str] = set()
    for start in outlines:
        if start in sizes:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        on_path.add(start)
        while stack:
            name, position = stack[-1]
            spreads = outlines[name].spreads
            while position < len(spreads) and (
                spreads[position] in sizes or spreads[position] not in outlines
            ):
                position += 1
            if position < len(spreads):
                child = spreads[position]
                if child in on_path:
                    return sizes, child
                stack[-1] = (name, position + 1)
                stack.append((child, 0))
                on_path.add(child)
                continue
            stack.pop()
            on_path.discard(name)
            total = outlines[name].selections + sum(sizes.get(s, 0) for s in spreads)
            sizes[name] = min(total, cap)
    return sizes, None


def _reached(starts: Iterable[_Outline], outlines: dict[str, _Outline]) -> set[str]:
    """The fragments spread, directly or through other fragments, from `starts`."""
    reached: set[str] = set()
    frontier = [name for outline in starts for name in outline.spreads]
    while frontier:
        name = frontier.pop()
        if name not in reached and name in outlines:
            reached.add(name)
            frontier.extend(outlines[name].spreads)
    return reached


@dataclass(slots=True)
class _Worst:
    path: str = ""
    count: int = 0
    pairs: int = 0


def _worst_repeated_field(
    roots: Iterable[ExecutableDefinitionNode], fragments: dict[str, FragmentDefinitionNode]
) -> _Worst:
    """The pairs of fields sharing a place in the response (a response path), summed, and the
    place asked for most often. Fragments are expanded: the selection count was checked first,
    so this walks at most that many selections."""
    worst = _Worst()
    for root in roots:
        counts: dict[tuple[int, str], int] = {}
        places: dict[tuple[int, str], int] = {}
        names: list[str] = []
        stack: list[tuple[SelectionSetNode, int]] = [(root.selection_set, -1)]
        while stack:
            selection_set, parent = stack.pop()
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    name = (selection.alias or selection.name).value
                    key = (parent, name)
                    place = places.setdefault(key, len(places))
                    if place == len(names):
                        names.append(name if parent < 0 else f"{names[parent]}.{name}")
                    counts[key] = counts.get(key, 0) + 1
                    if selection.selection_set is not None:
                        stack.append((selection.selection_set, place))
                elif isinstance(selection, InlineFragmentNode):
                    stack.append((selection.selection_set, parent))
                elif isinstance(selection, FragmentSpreadNode):
                    fragment = fragments.get(selection.name.value)
                    if fragment is not None:
                        stack.append((fragment.selection_set, parent))
        for key, count in counts.items():
            worst.pairs += count * (count - 1) // 2
            if count > worst.count:
                worst.path, worst.count = names[places[key]], count
    return worst
