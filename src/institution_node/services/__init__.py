"""Service functions: keyword-only, typed, raise domain errors (never GraphQL/HTTP ones)."""
