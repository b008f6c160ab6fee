"""GraphQL APIs: the staff API (/graphql) and the network API (/network/graphql)."""
