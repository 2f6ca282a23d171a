"""Retrieval: extraction, chunking, embedding and the chunk stores behind one interface.

Knows nothing of GraphQL, HTTP or the ORM: the service hands it ids and text.
"""
