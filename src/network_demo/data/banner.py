"""What the demo prints once the network is up: URLs, demo keys, ready-to-paste queries.

The shell block between ``PASTE_START`` and ``PASTE_END`` is meant to be pasted as it is
(tests/network/test_demo.py runs exactly that block against the running demo).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from network_demo.data.network import DemoNetwork

PASTE_START = "---8<--- paste into a shell ---8<---"
PASTE_END = "---8<---------------------------8<---"

NETWORK_ACTIVITY_QUERY = """
query NetworkActivity($patronId: String!, $institution: String) {
  networkActivity(patronId: $patronId, institution: $institution) {
    patronId
    hasNetworkActivity
    loanCount
    requestCount
    hasFees
    feeBalances { amount currency }
    institutions { code name loanCount requestCount feeCount }
    loans { institutionCode title barcode dueDate }
    requests { institutionCode title status pickupInstitution }
    fees { institutionCode type balance currency }
    unavailable { institutionCode code message }
  }
}
""".strip()

GET_IT_QUERY = """
query GetIt($recordIds: [String!]!, $home: String) {
  getIt(recordIds: $recordIds, shape: BRIEF, homeInstitution: $home) {
    viewer
    availabilityDisplay
    records {
      recordId
      home { institutionCode availableCount }
      others { institutionCode available availableCount access registration requestable }
    }
    unavailable { institutionCode code message }
  }
}
""".strip()
#: Whose patrons the printed Get It example looks as (HOLDINGS, so remote settings show).
GET_IT_HOME = "SOUTHC"


@dataclass(frozen=True, slots=True)
class DemoEndpoints:
    hub: str
    nodes: dict[str, str]
    data_dir: Path
    #: The demo's SMTP server and the folder its letters are saved in.
    mail: str | None = None
    mail_dir: Path | None = None


def one_line(query: str) -> str:
    """The query with its layout collapsed (for a JSON body on one shell line)."""
    return re.sub(r"\s+", " ", query).strip()


def network_activity_body(network: DemoNetwork) -> dict[str, Any]:
    return {
        "query": one_line(NETWORK_ACTIVITY_QUERY),
        "variables": {"patronId": network.featured.primary_id},
    }


def get_it_body(network: DemoNetwork) -> dict[str, Any]:
    return {
        "query": one_line(GET_IT_QUERY),
        "variables": {"recordIds": [network.shared_record_id], "home": GET_IT_HOME},
    }


def get_it_block(network: DemoNetwork, endpoints: DemoEndpoints) -> str:
    """Shell lines: an anonymous Get It for a record every member holds."""
    return "\n".join(
        [
            f"curl -s {endpoints.hub}/graphql -H 'content-type: application/json' -d @- <<'JSON'",
            json.dumps(get_it_body(network)),
            "JSON",
        ]
    )


def paste_block(network: DemoNetwork, endpoints: DemoEndpoints) -> str:
    """Shell lines: a staff token from the patron's home node, then the hub query."""
    home = network.featured.home
    key = network.members[home].keys.manager
    token_body = shlex.quote(json.dumps({"api_key": key}))
    body = json.dumps(network_activity_body(network))
    return "\n".join(
        [
            f"TOKEN=$(curl -s {endpoints.nodes[home]}/auth/token \\",
            f"  -H 'content-type: application/json' -d {token_body} \\",
            "  | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')",
            f'curl -s {endpoints.hub}/graphql -H "authorization: Bearer $TOKEN" \\',
            "  -H 'content-type: application/json' -d @- <<'JSON'",
            body,
            "JSON",
        ]
    )


def _settings_line(network: DemoNetwork, code: str) -> str:
    s = network.members[code].profile.settings
    return (
        f"register {s['uresolver_remote_register']}, "
        f"patrons see others as {s['network_availability_display']}, "
        f"independence {s['fulfillment_independence_model']}, "
        f"pickup for {'/'.join(s['pickup_anywhere']) or 'nobody'}, "
        f"return anywhere {'yes' if s['return_anywhere'] else 'no'}"
    )


def banner(
    network: DemoNetwork, endpoints: DemoEndpoints, *, index_counts: dict[str, int | None]
) -> str:
    featured = network.featured
    lines = [
        "",
        f"The demo network is up (data in {endpoints.data_dir}; Ctrl-C stops it).",
        "",
        f"  hub     {endpoints.hub}/graphql   (GraphiQL in a browser; send a token as below)",
    ]
    for code, member in network.members.items():
        lines.append(f"  {code:<7} {endpoints.nodes[code]}/graphql   {member.profile.name}")
        lines.append(f"          {_settings_line(network, code)}")
    if endpoints.mail and endpoints.mail_dir:
        lines += [
            f"  mail    smtp://{endpoints.mail}   every letter the members e-mail (loan and return",
            f"          receipts, hold shelf, notices) is saved in {endpoints.mail_dir}/",
            f"          (one .eml per letter; {endpoints.mail_dir / 'index.txt'} lists From, To,",
            "          Reply-To and Subject); the staff record shows each letter's deliveryStatus",
        ]
    lines += ["", "Demo API keys (sample data only; exchange at <member>/auth/token):"]
    for code, member in network.members.items():
        lines += [
            f"  {code:<7} circulation manager (consortial, lending): {member.keys.manager}",
            f"          desk operator, no consortial services:     {member.keys.operator}",
            f"          discovery client (patron tokens):          {member.keys.discovery}",
        ]
    indexed = ", ".join(
        f"{code} {'did not answer' if n is None else n}" for code, n in index_counts.items()
    )
    lines += [
        "",
        f"Linked accounts indexed by the hub: {indexed}.",
        "",
        f"Network Activity of {featured.name}, patron {featured.primary_id} of {featured.home}",
        f"(linked and active at {' and '.join(featured.remotes)}), asked by {featured.home} staff:",
        "",
        PASTE_START,
        paste_block(network, endpoints),
        PASTE_END,
        "",
        f'Add "institution": "{featured.remotes[0]}" to the variables to filter by institution;',
        "the desk operator's key is refused (no consortial services privilege).",
        "",
        f"Get It for record {network.shared_record_id}, held by every member, as an anonymous "
        f"visitor of {GET_IT_HOME}'s discovery",
        "(anonymous: no Register option anywhere; the README shows it with a patron token):",
        "",
        PASTE_START,
        get_it_block(network, endpoints),
        PASTE_END,
        "",
        "More in README.md, '5-minute tour'.",
        "",
    ]
    return "\n".join(lines)
