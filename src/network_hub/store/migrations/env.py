"""Alembic environment of the hub's database."""

from institution_node.store.migrate import run_env
from network_hub.store.models import HubBase

run_env(HubBase.metadata)
