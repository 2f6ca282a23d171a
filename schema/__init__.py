"""The GraphQL contract: types, inputs, roots, limits and error codes."""
