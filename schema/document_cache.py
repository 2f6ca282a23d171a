"""Parsing and validation: off the event loop for large documents, with the document budget
checked before any validation rule runs, and cached per schema within a byte budget.

This replaces Strawberry's ParserCache and ValidationCache, which count entries, not bytes (a
parsed document takes about twice its text plus ~600 bytes a token, so 512 entries of
comment-padded or token-dense documents held hundreds of megabytes), and which validate a
document the budget would refuse. Only documents that parse and are within the budget are kept.

graphql-core parses at some 7 microseconds a token and validates at some 150 a selection, so a
document within the token and selection limits may take 40 ms to parse and as long to validate:
done on the event loop, ten clients sending such documents held every other request for
seconds. So a document is parsed in one worker thread when its text is longer than
OFF_LOOP_CHARS, and validated there when it has more than INLINE_SELECTIONS selections (one
thread, so the loop waits at most a switch interval for the interpreter lock); a small one costs
less than the hop and stays on the loop. The cache itself is only touched on the loop.

Validation leaves out suggestions ("Did you mean ...?") when they are off.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    parse,
    validate,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.execution import ParseOptions

from infra.errors import ErrorCode
from schema.byte_lru import ByteBoundedLRU
from schema.document_budget import measure_document
from schema.graphql_core import graphql_core_schema

OFF_LOOP_CHARS = 1024
INLINE_SELECTIONS = 16  # validation takes ~150 microseconds a selection
# Measured with tracemalloc on graphql-core 3.3: 430-560 bytes a token (the token, its AST
# node, their locations); the text is held twice (the source, and comment and string values).
TOKEN_BYTES = 640
ERROR_BYTES = 1024
# Strawberry adds these to every validation (its own validate_document does the same).
STRAWBERRY_RULES: tuple[type[ASTValidationRule], ...] = (
    MaybeNullValidationRule,
    OneOfInputValidationRule,
)
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graphql-documents")


@dataclass(slots=True)
class Prepared:
    """A document that parsed, and what validating it found (the budget's refusal, if any)."""

    document: DocumentNode
    cost: int
    errors: tuple[GraphQLError, ...] = ()
    selections: int = 0
    refused: bool = False


def document_bytes(text: str, document: DocumentNode) -> int:
    """What keeping a parsed document costs, from its text and tokens (comments included)."""
    tokens = 0
    token = document.loc.start_token if document.loc is not None else None
    while token is not None:
        tokens += 1
        token = token.next
    return 2 * sys.getsizeof(text) + TOKEN_BYTES * tokens


class Documents:
    """The parsed and validated documents of one schema."""

    def __init__(self, max_bytes: int, max_selections: int, *, hide_suggestions: bool) -> None:
        self.cache: ByteBoundedLRU[str, Prepared] = ByteBoundedLRU(max_bytes)
        self.max_selections = max_selections
        self.hide_suggestions = hide_suggestions

    async def prepare(
        self,
        schema: GraphQLSchema,
        text: str,
        parse_options: ParseOptions,
        rules: Sequence[type[ASTValidationRule]],
    ) -> Prepared:
        """The document parsed and validated, from the cache when it is there; raises
        GraphQLError when it does not parse."""
        known = self.cache.get(text)
        if known is not None:
            return known
        if len(text) <= OFF_LOOP_CHARS:
            parsed = self._parse(text, parse_options)
            if parsed.refused or parsed.selections <= INLINE_SELECTIONS:
                prepared = self._validate(schema, parsed, rules)
            else:
                prepared = await _off_loop(self._validate, schema, parsed, rules)
        else:
            prepared = await _off_loop(self._prepare, schema, text, parse_options, rules)
        if not prepared.refused:
            self.cache.put(text, prepared, prepared.cost)
        return prepared

    def _prepare(
        self,
        schema: GraphQLSchema,
        text: str,
        parse_options: ParseOptions,
        rules: Sequence[type[ASTValidationRule]],
    ) -> Prepared:
        return self._validate(schema, self._parse(text, parse_options), rules)

    def _parse(self, text: str, parse_options: ParseOptions) -> Prepared:
        """Parsed, measured, and refused if over the budget; not validated yet."""
        try:
            document = parse(text, **parse_options)
        except RecursionError:
            raise GraphQLError(
                "The document nests too deeply to parse", extensions={"code": ErrorCode.BAD_REQUEST}
            ) from None
        cost = document_bytes(text, document)
        budget = measure_document(document, self.max_selections)
        if budget.refusal is not None:
            return Prepared(document, cost, (budget.refusal,), budget.selections, refused=True)
        return Prepared(document, cost, (), budget.selections)

    def _validate(
        self,
        schema: GraphQLSchema,
        parsed: Prepared,
        rules: Sequence[type[ASTValidationRule]],
    ) -> Prepared:
        if parsed.refused:
            return parsed
        errors = validate(
            schema,
            parsed.document,
            (*rules, *STRAWBERRY_RULES),
            hide_suggestions=self.hide_suggestions,
        )
        cost = parsed.cost + ERROR_BYTES * len(errors)
        return Prepared(parsed.document, cost, tuple(errors), parsed.selections)


async def _off_loop(work: Callable[..., Prepared], *arguments: Any) -> Prepared:
    return await asyncio.get_running_loop().run_in_executor(_worker, work, *arguments)


def parse_and_validate(documents: Documents) -> type[SchemaExtension]:
    """The extension, as a class Strawberry builds afresh for each request. Both steps happen
    in `on_parse` (the rules are known by then), so validation follows the budget at once."""

    class ParseAndValidate(SchemaExtension):
        errors: list[GraphQLError] | None = None

        async def on_parse(self) -> AsyncIterator[None]:
            context = self.execution_context
            if context.query:
                # A GraphQLError raised here is answered as the parse error it is.
                prepared = await documents.prepare(
                    graphql_core_schema(context.schema),
                    context.query,
                    context.parse_options,
                    context.validation_rules,
                )
                context.graphql_document = prepared.document
                self.errors = list(prepared.errors)
            yield

        def on_validate(self) -> Iterator[None]:
            if self.errors is not None:
                self.execution_context.pre_execution_errors = self.errors
            yield

    return ParseAndValidate
