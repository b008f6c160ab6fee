"""The hub ⇄ node contract: every GraphQL document the hub sends to a node validates against
the node's committed network SDL (schema/network.graphql, itself checked against the node's
code by test_sdl.py). A node schema change that would break the hub fails here, in CI.

Documents are found two ways, so that none is missed: every module-level string of
``network_hub`` that is a GraphQL operation (plus the Get It document for each shape), and,
as a cross-check, every operation name (``query Hub…`` / ``mutation Hub…``) written
anywhere in the hub's source, which must be among the documents checked.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    parse,
    validate,
)

import network_hub
from network_hub.getit import fetch
from network_hub.getit.shaping import GetItShape

ROOT = Path(__file__).resolve().parents[2]
NETWORK_SDL = ROOT / "schema" / "network.graphql"
HUB_SRC = Path(network_hub.__file__).parent
_OPERATION = re.compile(r"\b(?:query|mutation)\s+(Hub\w+)")


def _operation_names(text: str) -> list[str]:
    try:
        document = parse(text)
    except GraphQLError:
        return []
    return [
        d.name.value
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode) and d.name is not None
    ]


def hub_documents() -> dict[str, str]:
    """Operation name -> document, for every document the hub can send to a node."""
    documents: dict[str, str] = {}
    for module_info in pkgutil.walk_packages(network_hub.__path__, "network_hub."):
        if ".migrations" in module_info.name:
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if isinstance(value, str) and _OPERATION.search(value):
                for name in _operation_names(value):
                    documents[name] = value
    for shape in GetItShape:
        for with_display in (False, True):
            for with_viewer in (False, True):
                text = fetch.document(shape, with_display=with_display, with_viewer=with_viewer)
                key = f"{_operation_names(text)[0]}/{shape}/{with_display}/{with_viewer}"
                documents[key] = text
    return documents


def _names_in_source() -> set[str]:
    names: set[str] = set()
    for path in HUB_SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.update(_OPERATION.findall(node.value))
    return names


@pytest.fixture(scope="module")
def node_schema() -> GraphQLSchema:
    return build_schema(NETWORK_SDL.read_text())


DOCUMENTS = hub_documents()


def test_every_operation_in_the_hub_source_is_checked() -> None:
    checked = {name.split("/")[0] for name in DOCUMENTS}
    assert _names_in_source() - checked == set()
    assert len(checked) >= 12  # members, activity, index sync, Get It, linking, pickup steps


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_hub_document_validates_against_the_node_sdl(name: str, node_schema: GraphQLSchema) -> None:
    errors = validate(node_schema, parse(DOCUMENTS[name]))
    assert [e.message for e in errors] == []


def test_a_field_the_node_lacks_is_caught(node_schema: GraphQLSchema) -> None:
    """The check above can fail: a document asking for a field the node SDL lacks."""
    broken = DOCUMENTS["HubMember"].replace("returnAnywhere", "returnAnywhere loanRules")
    errors = validate(node_schema, parse(broken))
    assert [e.message for e in errors] == ["Cannot query field 'loanRules' on type 'Member'."]
