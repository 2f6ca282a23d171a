"""The REST API's reference, Swagger UI served offline by Taskloom at /docs from the document at
/openapi.json; its files come with GraphiQL's (`python -m gateway.graphiql install`)."""

from gateway.api_docs.page import ApiDocs

__all__ = ["ApiDocs"]
