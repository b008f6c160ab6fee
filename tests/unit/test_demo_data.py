"""The demo data generator: deterministic, valid load files, the network it promises."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import pytest

from institution_node.loader.load import parse
from network_demo.data import DemoNetwork, build_network
from network_demo.data.people import PATRONS_PER_MEMBER

TODAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def network() -> DemoNetwork:
    return build_network(today=TODAY)


def _users(network: DemoNetwork, code: str) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = network.members[code].load_file["users"]
    return users


def test_same_seed_same_data_other_seed_other_data(network: DemoNetwork) -> None:
    def dump(n: DemoNetwork) -> str:
        return json.dumps({c: m.load_file for c, m in n.members.items()}, sort_keys=True)

    assert dump(build_network(today=TODAY)) == dump(network)
    assert dump(build_network(today=TODAY, seed=7)) != dump(network)


def test_every_load_file_passes_the_loaders_validation(network: DemoNetwork) -> None:
    for member in network.members.values():
        parsed = parse(json.dumps(member.load_file))
        assert parsed.institution is not None
        assert parsed.institution.code == member.profile.code
        assert len(parsed.records) == 200
        assert sum(1 for u in parsed.users if u.linked is None and u.kind == "PATRON") == (
            PATRONS_PER_MEMBER
        )


def test_members_differ_in_the_settings_the_demo_shows(network: DemoNetwork) -> None:
    settings = {c: m.profile.settings for c, m in network.members.items()}
    assert {s["uresolver_remote_register"] for s in settings.values()} == {"NONE", "MANUAL", "AUTO"}
    assert [s["network_availability_display"] for s in settings.values()].count(
        "AVAILABILITY_ONLY"
    ) == 1
    full = [c for c, s in settings.items() if s["fulfillment_independence_model"] == "FULL"]
    assert len(full) == 1
    assert len(network.members[full[0]].load_file["libraries"]) == 2


def test_catalogues_overlap_through_network_record_ids(network: DemoNetwork) -> None:
    held = [
        {r["network_record_id"] for r in m.load_file["records"]} for m in network.members.values()
    ]
    assert network.shared_record_id in set.intersection(*held)
    assert len(set.intersection(*held)) >= 20


def test_featured_patron_has_activity_at_two_other_members(network: DemoNetwork) -> None:
    f = network.featured
    assert any(u["primary_id"] == f.primary_id for u in _users(network, f.home))
    for remote in f.remotes:
        load_file = network.members[remote].load_file
        local_id = f"{f.home}:{f.primary_id}"
        linked = next(u for u in load_file["users"] if u["primary_id"] == local_id)
        assert linked["linked"]["source_institution"] == f.home
        assert linked["linked"]["source_user_id"] == f.primary_id
        assert any(loan["patron"] == local_id for loan in load_file["loans"])
        assert any(fee["patron"] == local_id for fee in load_file["fees"])
        assert any(r.patron == local_id for r in network.members[remote].requests)


def test_linked_accounts_carry_only_limited_information(network: DemoNetwork) -> None:
    link_ids: list[str] = []
    for code in network.members:
        linked = [u for u in _users(network, code) if "linked" in u]
        assert len(linked) >= 5
        for user in linked:
            assert user["linked"]["source_institution"] != code
            assert user["primary_id"] == (
                f"{user['linked']['source_institution']}:{user['linked']['source_user_id']}"
            )
            assert not {"address", "notes", "blocks", "stat_categories"} & set(user)
            link_ids.append(user["linked"]["network_link_id"])
    assert max(Counter(link_ids).values()) == 1


def test_no_item_is_lent_twice_and_requests_pick_up_where_allowed(network: DemoNetwork) -> None:
    for code, member in network.members.items():
        barcodes = [loan["barcode"] for loan in member.load_file["loans"]]
        assert len(barcodes) == len(set(barcodes))
        allowed = {code, *member.profile.settings["pickup_anywhere"]}
        assert {r.pickup_institution for r in member.requests} <= allowed


def test_keys_are_distinct_and_well_formed(network: DemoNetwork) -> None:
    keys = [k for m in network.members.values() for k in vars_of(m.keys)]
    assert len(set(keys)) == len(keys) == 9
    assert all(k.startswith("lfn_demo-") and k.count("_") == 2 for k in keys)


def vars_of(keys: object) -> list[str]:
    return [getattr(keys, name) for name in ("manager", "operator", "discovery")]
