"""compose/ and the README's configuration table agree with the code.

No YAML library is a dependency, and docker is not available to run ``docker compose
config``; tests/support/compose.py reads the plain subset the compose file keeps to.
A variable misspelt in compose would be ignored silently by pydantic-settings: this is
the check that catches it.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from institution_node.settings import NodeSettings
from network_demo.data.members import PROFILES
from network_hub.network_file import load_network
from network_hub.settings import HubSettings
from tests.support.compose import COMPOSE_DIR, ROOT, SEED_SERVICE, seeded_nodes, services


def _env(service: str) -> dict[str, str]:
    return services()[service].environment


def _members() -> dict[str, str]:
    """Node service name -> the member code demo-seed loads into its database."""
    return seeded_nodes(services())


REPLICAS = ("hub-1", "hub-2")
NGINX = COMPOSE_DIR / "nginx.conf"


def test_compose_runs_two_hub_replicas_behind_nginx_three_members_and_postgres() -> None:
    assert set(services()) == {
        "postgres",
        SEED_SERVICE,
        "mail",
        "hub",
        *REPLICAS,
        "northu",
        "southc",
        "eastc",
    }
    assert _members() == {p.slug: p.code for p in PROFILES}
    for replica in REPLICAS:
        assert services()[replica].command == ["network-hub", "serve"]
    assert services()["hub"].environment == {}  # nginx: no app settings
    assert "image: nginx:" in (COMPOSE_DIR / "docker-compose.yml").read_text()


def test_the_replicas_are_one_hub_and_nginx_balances_them() -> None:
    """Same settings (database, key volume, issuer) on both; nginx lists exactly them, on the
    port the nodes use for the hub, and keeps /metrics off the public side."""
    first, second = (services()[r].environment for r in REPLICAS)
    assert first == second
    text = (COMPOSE_DIR / "docker-compose.yml").read_text()
    assert text.count("      - hub-data:/data") == 2
    conf = NGINX.read_text()
    lines = [line.strip() for line in conf.splitlines()]
    upstreams = [ln.split()[1] for ln in lines if ln.startswith("server ") and ln.endswith(";")]
    assert upstreams == [f"{r}:{first['HUB_PORT']}" for r in REPLICAS]
    assert f"listen {first['HUB_PORT']};" in conf
    assert "location = /metrics {\n        return 404;" in conf
    assert first["HUB_PUBLIC_URL"] == f"http://hub:{first['HUB_PORT']}"  # the proxy


def test_node_containers_run_only_the_node() -> None:
    """Demo seeding is its own one-shot container: no demo or hub code in a node's command."""
    for name in _members():
        assert services()[name].command == ["institution-node", "serve"], name
    assert services()[SEED_SERVICE].command == ["python", "-m", "network_demo.data.seed"]


@pytest.mark.parametrize("service", [*REPLICAS, "northu", "southc", "eastc"])
def test_every_variable_is_a_real_setting_with_a_valid_value(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(service)
    hub = service.startswith("hub")
    prefix, settings_class = ("HUB_", HubSettings) if hub else ("NODE_", NodeSettings)
    assert env, f"{service} has no environment"
    unknown = [k for k in env if k.removeprefix(prefix).lower() not in settings_class.model_fields]
    assert unknown == [], f"{service}: not settings of {settings_class.__name__}"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = settings_class()  # validates every value's type and range
    assert settings.host == "0.0.0.0"
    assert settings.introspection is False  # production-shaped


def test_one_database_and_role_per_member_created_by_the_init_sql() -> None:
    init_sql = (COMPOSE_DIR / "init-databases.sql").read_text()
    databases = set()
    for service in (*REPLICAS, *_members()):
        env = _env(service)
        url = make_url(env["HUB_DATABASE_URL" if service in REPLICAS else "NODE_DATABASE_URL"])
        assert url.drivername == "postgresql+asyncpg"
        assert url.host == "postgres"
        assert f"CREATE ROLE {url.username} LOGIN PASSWORD '{url.password}';" in init_sql
        assert f"CREATE DATABASE {url.database} OWNER {url.username};" in init_sql
        databases.add(url.database)
    assert len(databases) == 4


def test_network_file_and_trust_urls_point_at_the_services() -> None:
    members = {m.code: m for m in load_network(COMPOSE_DIR / "network.toml")}
    hub = _env("hub-1")
    assert hub["HUB_NETWORK_FILE"] == "/etc/lfn/network.toml"
    for service, code in _members().items():
        env = _env(service)
        url = make_url(members[code].url.replace("http://", "postgresql://"))
        assert (url.host, str(url.port)) == (service, env["NODE_PORT"])
        assert env["NODE_HUB_JWKS_URL"] == f"http://hub:{hub['HUB_PORT']}/.well-known/jwks.json"
        assert env["NODE_HUB_ISSUER"] == hub["HUB_ISSUER"]
        assert members[code].name == next(p.name for p in PROFILES if p.code == code)


@pytest.mark.parametrize(
    ("prefix", "settings_class"), [("NODE_", NodeSettings), ("HUB_", HubSettings)]
)
def test_readme_documents_every_setting(prefix: str, settings_class: type) -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [
        f"{prefix}{name.upper()}"
        for name in settings_class.model_fields
        if f"`{prefix}{name.upper()}`" not in readme
    ]
    assert missing == [], "add these to README.md, 'Configuration'"
