"""Alembic environment of the hub's database."""

from network_common.migrate import run_env
from network_hub.store.models import HubBase

run_env(HubBase.metadata)
