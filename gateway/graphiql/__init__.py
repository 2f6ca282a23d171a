"""GraphiQL, served offline by Taskloom: `GraphiQL(dir).routes()` for its files, `.page(request)`
for a browser's GET of /graphql (`wants_graphiql`), files from `python -m gateway.graphiql.assets
install`."""

from gateway.graphiql.assets import AssetsMissing, default_assets_dir
from gateway.graphiql.negotiation import wants_graphiql
from gateway.graphiql.page import GraphiQL

__all__ = ["AssetsMissing", "GraphiQL", "default_assets_dir", "wants_graphiql"]
