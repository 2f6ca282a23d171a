"""Table and column names for the loaders' SQL, always read from the models' meta, so that a
renamed table or column cannot leave a stale name behind in a statement."""

from __future__ import annotations

from tortoise.models import Model


def table(model: type[Model]) -> str:
    return model._meta.db_table


def column(model: type[Model], field: str) -> str:
    """The column of `model`'s field `field` (a foreign key's `<name>_id` included, once
    Tortoise has initialised the relations)."""
    return model._meta.fields_db_projection[field]


def pk_column(model: type[Model]) -> str:
    return model._meta.db_pk_column
