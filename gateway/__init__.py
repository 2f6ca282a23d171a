"""The edge of Taskloom: the Starlette app, settings, auth, the GraphQL view, REST routes, CLI."""
