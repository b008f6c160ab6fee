"""Staff access: sign-in (password, OpenID Connect, API keys), sessions, credentials."""
