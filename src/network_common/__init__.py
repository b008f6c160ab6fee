"""The small kernel both deployables share (and nothing else).

Error codes and their GraphQL shaping, the vocabulary that crosses the wire, the caller
(`Principal`) as plain data, token/key/JWKS code, observability and database helpers. It
imports neither `institution_node` nor `network_hub`.
"""
