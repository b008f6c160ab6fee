"""Hub service functions: keyword-only, typed, raising DomainError subclasses."""
