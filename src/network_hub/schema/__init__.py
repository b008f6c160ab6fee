"""The hub's public GraphQL schema (one module per capability, merged in schema.py)."""
