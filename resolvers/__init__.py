"""The use cases: thin async functions that the schema calls."""
