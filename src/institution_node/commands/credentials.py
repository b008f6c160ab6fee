"""``institution-node users …`` and ``institution-node keys …``: staff users' credentials
and API keys (operators' and discovery clients')."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime

from network_common.cli_support import CliError
from network_common.keys import KeyRing

from ..runtime import SIGNING_KEY_FILE
from ..services.staff_access import keys as key_service
from ..services.staff_access import users as user_service
from ..settings import NodeSettings
from .common import node_session


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%SZ")


def read_password(args: argparse.Namespace) -> str:
    """From stdin (``--password-stdin``, or when stdin is not a terminal), else prompted."""
    if args.password_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if not password:
            raise CliError("no password on standard input")
        return password
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise CliError("the two passwords differ")
    return first


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = sub.add_parser("users", help="staff users and their sign-in credentials")
    u = users.add_subparsers(dest="action", required=True)
    create = u.add_parser("create", help="create a staff user")
    create.add_argument("user", help="the staff user's id (what they sign in with)")
    create.add_argument(
        "--role",
        action="append",
        default=[],
        required=True,
        metavar="ROLE[@LIB,LIB][+cs]",
        help="a staff role, institution-wide or scoped to libraries; +cs: consortial services",
    )
    create.add_argument("--first-name", default="")
    create.add_argument("--last-name", default="")
    create.add_argument("--email")
    u.add_parser("list", help="list staff users and the state of their credentials")
    for name, text in (
        ("set-password", "set or rotate a password (ends the user's other sessions)"),
    ):
        p = u.add_parser(name, help=text)
        p.add_argument("user")
        p.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    oidc = u.add_parser("set-oidc-subject", help="tie the user to the identity provider's sub")
    oidc.add_argument("user")
    oidc.add_argument("subject", nargs="?", help="the IdP's subject; leave out with --clear")
    oidc.add_argument("--clear", action="store_true", help="untie (ends the user's sessions)")
    for name, text in (
        ("revoke-password", "remove the password and end the user's sessions"),
        ("disable", "refuse the user's sign-ins and every token already issued, at once"),
        ("enable", "allow a disabled user again"),
        ("end-sessions", "refuse every token issued to the user so far"),
        ("unlock", "clear a lockout after failed sign-ins"),
    ):
        p = u.add_parser(name, help=text)
        p.add_argument("user")

    keys = sub.add_parser("keys", help="API keys of staff users and discovery clients")
    k = keys.add_subparsers(dest="action", required=True)
    kc = k.add_parser("create", help="create an API key (shown once)")
    owner = kc.add_mutually_exclusive_group(required=True)
    owner.add_argument("--user", help="a staff user: the key is exchanged for their token")
    owner.add_argument("--discovery", action="store_true", help="a trusted discovery client's key")
    kc.add_argument("--label", default="", help="what the key is for (required for clients)")
    kl = k.add_parser("list", help="list API keys (never their secrets)")
    kl.add_argument("--user")
    kr = k.add_parser("rotate", help="replace a key by a new one; the old one is revoked")
    kr.add_argument("key_id")
    kv = k.add_parser("revoke", help="revoke a key; its tokens are refused at once")
    kv.add_argument("key_id")
    k.add_parser("signing", help="list the node's token-signing keys (current and retired)")
    ks = k.add_parser(
        "rotate-signing",
        help="make a new token-signing key; the old one stays published for --overlap seconds",
    )
    ks.add_argument(
        "--overlap",
        type=int,
        help="seconds the old key keeps verifying (default: token lifetime + 60)",
    )


async def users_command(settings: NodeSettings, args: argparse.Namespace) -> int:
    async with node_session(settings) as session:
        action = args.action
        if action == "create":
            roles = [user_service.RoleSpec.parse(r) for r in args.role]
            await user_service.create_staff_user(
                session,
                primary_id=args.user,
                first_name=args.first_name,
                last_name=args.last_name,
                email=args.email,
                roles=roles,
            )
            print(f"created staff user {args.user}; give them a password or an OIDC subject")
        elif action == "list":
            rows = await user_service.list_staff_users(session)
            print("user\tname\troles\tstate\tpassword\toidc_subject\tkeys\tlast_sign_in")
            for r in rows:
                state = "disabled" if r.disabled else "enabled"
                if r.locked_until is not None and r.locked_until > datetime.now(UTC):
                    state += f" (locked until {_when(r.locked_until)})"
                print(
                    f"{r.primary_id}\t{r.name or '-'}\t{' '.join(r.roles) or '-'}\t{state}\t"
                    f"{'yes' if r.has_password else 'no'}\t{r.oidc_subject or '-'}\t"
                    f"{r.active_keys}\t{_when(r.last_sign_in_at)}"
                )
        elif action == "set-password":
            await user_service.set_password(
                session, primary_id=args.user, password=read_password(args)
            )
            print(f"password of {args.user} set; their other sessions have ended")
        elif action == "set-oidc-subject":
            if args.clear == (args.subject is not None):
                raise CliError("give a subject, or --clear")
            await user_service.set_oidc_subject(
                session, primary_id=args.user, subject=None if args.clear else args.subject
            )
            print(f"{args.user}: identity-provider subject {'cleared' if args.clear else 'set'}")
        elif action == "revoke-password":
            await user_service.revoke_password(session, primary_id=args.user)
            print(f"password of {args.user} removed; their sessions have ended")
        elif action in ("disable", "enable"):
            await user_service.set_disabled(
                session, primary_id=args.user, disabled=action == "disable"
            )
            print(f"{args.user} {action}d")
        elif action == "end-sessions":
            await user_service.end_sessions(session, primary_id=args.user)
            print(f"every session of {args.user} has ended")
        elif action == "unlock":
            await user_service.unlock(session, primary_id=args.user)
            print(f"{args.user} unlocked")
    return 0


def signing_command(settings: NodeSettings, args: argparse.Namespace) -> int:
    """The node's signing keys: ``keys signing`` and ``keys rotate-signing``."""
    path = settings.data_dir / SIGNING_KEY_FILE
    if not settings.data_dir.is_dir():
        raise CliError(
            f"{settings.data_dir}: no such data directory: run `institution-node migrate` first"
        )
    ring = KeyRing(path)
    if args.action == "rotate-signing":
        overlap = args.overlap
        if overlap is None:
            overlap = settings.token_ttl_seconds + 60
        if overlap < settings.token_ttl_seconds:
            raise CliError(
                f"--overlap {overlap} is shorter than the token lifetime "
                f"({settings.token_ttl_seconds} s): tokens signed just now would break"
            )
        old = ring.current.kid
        new = ring.rotate(overlap_seconds=overlap)
        print(f"new signing key {new.kid}; {old} stays published for {overlap} s")
        return 0
    print("kid\tstate\tuntil")
    print(f"{ring.current.kid}\tcurrent\t-")
    now = datetime.now(UTC).timestamp()
    for r in ring.retired():
        state = "retired" if r.until > now else "expired"
        until = datetime.fromtimestamp(r.until, UTC)
        print(f"{r.key.kid}\t{state}\t{_when(until)}")
    return 0


async def keys_command(settings: NodeSettings, args: argparse.Namespace) -> int:
    if args.action in ("signing", "rotate-signing"):
        return signing_command(settings, args)
    async with node_session(settings) as session:
        if args.action == "create":
            new = await key_service.create_key(
                session,
                kind="DISCOVERY" if args.discovery else "STAFF",
                label=args.label,
                user=args.user,
            )
            print(new.secret_key)
            print(
                f"key {new.key_id} created: hand it over now, it is not shown again",
                file=sys.stderr,
            )
        elif args.action == "list":
            print("key_id\tkind\towner\tlabel\tstate\tcreated\tlast_used")
            for v in await key_service.list_keys(session, user=args.user):
                state = f"revoked {_when(v.revoked_at)}" if v.revoked else "active"
                print(
                    f"{v.key_id}\t{v.kind}\t{v.owner or '-'}\t{v.label or '-'}\t{state}\t"
                    f"{_when(v.created_at)}\t{_when(v.last_used_at)}"
                )
        elif args.action == "rotate":
            new = await key_service.rotate_key(session, key_id=args.key_id)
            print(new.secret_key)
            print(f"key {new.key_id} replaces {args.key_id} (revoked)", file=sys.stderr)
        elif args.action == "revoke":
            await key_service.revoke_key(session, key_id=args.key_id)
            print(f"key {args.key_id} revoked")
    return 0
