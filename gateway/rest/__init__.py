"""The REST compatibility layer: each route executes one stored GraphQL operation."""
