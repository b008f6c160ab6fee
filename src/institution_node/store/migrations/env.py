"""Alembic environment of the node's database."""

from institution_node.store.models import Base
from network_common.migrate import run_env

run_env(Base.metadata)
