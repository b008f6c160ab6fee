"""Alembic environment of the node's database."""

from institution_node.store.migrate import run_env
from institution_node.store.models import Base

run_env(Base.metadata)
