"""Authentication: API keys, signed JWT access tokens, JWKS."""
