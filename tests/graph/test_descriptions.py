"""Every part of the public schema is described, so that GraphiQL's docs explain it without the
code: named types, fields, arguments, input fields and enum values."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
)

from schema.build import build_schema
from schema.graphql_core import graphql_core_schema

# IngestionStatus is `models.IngestionStatus` handed to `strawberry.enum`: per-value descriptions
# would have to be written into the model's enum (strawberry.enum_value), and the models stay as
# they are. The enum's own description explains every value instead.
UNDESCRIBED_ENUM_VALUES = {"IngestionStatus"}


def _described(description: str | None) -> bool:
    return bool(description and description.strip())


def missing_descriptions() -> list[str]:
    graphql_schema = graphql_core_schema(build_schema())
    missing: list[str] = []
    for name, named in sorted(graphql_schema.type_map.items()):
        if name.startswith("__"):
            continue
        if not _described(named.description):
            missing.append(name)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                if not _described(field.description):
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in field.args.items():
                    if not _described(arg.description):
                        missing.append(f"{name}.{field_name}({arg_name})")
        elif isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                if not _described(input_field.description):
                    missing.append(f"{name}.{field_name}")
        elif isinstance(named, GraphQLEnumType) and name not in UNDESCRIBED_ENUM_VALUES:
            for value_name, value in named.values.items():
                if not _described(value.description):
                    missing.append(f"{name}.{value_name}")
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    missing = missing_descriptions()
    assert not missing, f"{len(missing)} without a description:\n" + "\n".join(missing)


def test_the_exempt_enum_describes_its_values_as_a_whole() -> None:
    status = graphql_core_schema(build_schema()).type_map["IngestionStatus"]
    assert isinstance(status, GraphQLEnumType)
    for value_name in status.values:
        assert value_name in (status.description or ""), value_name
