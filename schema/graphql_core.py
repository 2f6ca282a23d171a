"""The two places where Taskloom reaches under Strawberry to graphql-core, each for want of a
public way (checked against strawberry-graphql 0.341.2), so that an upgrade that moves them
breaks here and nowhere else:

- the graphql-core schema, which validates the REST layer's stored operations, describes them in
  the OpenAPI document, and validates documents before their parse is cached;
- a resolver's graphql-core info, whose field nodes and fragments the lookahead walks:
  `Info.selected_fields` converts the whole selection into Strawberry's objects on every call,
  which a page's every field would pay for.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLResolveInfo, GraphQLSchema


def graphql_core_schema(schema: strawberry.Schema) -> GraphQLSchema:
    return schema._schema


def graphql_core_info(info: strawberry.Info[Any, Any]) -> GraphQLResolveInfo[Any]:
    return info._raw_info
