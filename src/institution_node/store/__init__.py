"""Storage: SQLAlchemy 2.0 async models, sessions and migrations."""
