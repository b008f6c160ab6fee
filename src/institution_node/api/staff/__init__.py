"""The staff GraphQL API at /graphql."""
