"""Weaviate's `where` filters (the gRPC `Filters` message) evaluated against stored objects."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

from weaviate.proto.v1 import base_pb2

from tests.fakes.weaviate.scoring import tokenize
from tests.fakes.weaviate.state import Collection, FakeError, StoredObject

Op = base_pb2.Filters.Operator

_COMPARISONS: dict[int, Callable[[Any, Any], bool]] = {
    Op.OPERATOR_EQUAL: lambda a, b: a == b,
    Op.OPERATOR_NOT_EQUAL: lambda a, b: a != b,
    Op.OPERATOR_GREATER_THAN: lambda a, b: a > b,
    Op.OPERATOR_GREATER_THAN_EQUAL: lambda a, b: a >= b,
    Op.OPERATOR_LESS_THAN: lambda a, b: a < b,
    Op.OPERATOR_LESS_THAN_EQUAL: lambda a, b: a <= b,
    Op.OPERATOR_LIKE: lambda a, b: fnmatch.fnmatchcase(str(a).lower(), str(b).lower()),
}


def matches(where: base_pb2.Filters, obj: StoredObject, collection: Collection) -> bool:
    op = where.operator
    if op == Op.OPERATOR_AND:
        return all(matches(f, obj, collection) for f in where.filters)
    if op == Op.OPERATOR_OR:
        return any(matches(f, obj, collection) for f in where.filters)
    if op == Op.OPERATOR_NOT:
        return not matches(where.filters[0], obj, collection)
    name = _property_name(where)
    value = obj.uuid if name == "_id" else obj.properties.get(name)
    if op == Op.OPERATOR_IS_NULL:
        return (value is None) == where.value_boolean
    if value is None:
        return False
    wanted = _test_value(where)
    if op in _COMPARISONS:
        return _COMPARISONS[op](value, wanted)
    held = set(_elements(value, collection.property_type(name)))
    asked = set(wanted) if isinstance(wanted, list) else {wanted}
    if op == Op.OPERATOR_CONTAINS_ANY:
        return bool(held & asked)
    if op == Op.OPERATOR_CONTAINS_ALL:
        return asked <= held
    if op == Op.OPERATOR_CONTAINS_NONE:
        return not held & asked
    raise FakeError(f"the fake Weaviate does not support filter operator {Op.Name(op)}")


def _property_name(where: base_pb2.Filters) -> str:
    if where.HasField("target"):
        if where.target.WhichOneof("target") != "property":
            raise FakeError("the fake Weaviate does not filter on references")
        return str(where.target.property)
    if len(where.on) == 1:
        return str(where.on[0])
    raise FakeError("filter without a property")


def _test_value(where: base_pb2.Filters) -> Any:
    kind = where.WhichOneof("test_value")
    if kind is None:
        raise FakeError("filter without a value")
    value = getattr(where, kind)
    if kind.endswith("_array"):
        return list(value.values)
    return value


def _elements(value: Any, data_type: str | None) -> list[Any]:
    if isinstance(value, list):
        return value
    if data_type == "text":
        return tokenize(str(value))
    return [value]
