"""The `kamkor` command: dev tokens, dev users, API clients, dead letters, outboxes, a run."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

import httpx

from kamkor_common.auth import ROLES
from kamkor_common.issuer import EmbeddedIssuer
from kamkor_common.messaging import dlq
from kamkor_common.ops import add_outbox_parser, run_outbox
from kamkor_common.settings import KamkorSettings
from kamkor_gateway.devusers import DEV_USERS, DEV_USERS_BY_NAME

# Roles whose access follows an organisation: without one their tokens reach nothing.
ORGANISATION_ROLES = ("partner", "shelter_staff")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kamkor", description="Kamkor on this machine: tokens, dev users, a local run."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    token = commands.add_parser(
        "token",
        help="print a bearer token from the embedded issuer",
        description="Print a bearer token of the embedded issuer (ES256, its key in "
        "KAMKOR_JWT_SIGNING_KEY_FILE, var/dev-issuer-es256.pem unless set).",
    )
    who = token.add_mutually_exclusive_group(required=True)
    who.add_argument("--role", help=f"one of: {', '.join(ROLES)}")
    who.add_argument("--user", help="a dev user (see `kamkor users`)")
    token.add_argument("--org", help="the organisation id (partner, shelter staff)")
    token.add_argument("--region", help="the region code, e.g. KG-J")
    token.add_argument(
        "--district",
        action="append",
        default=None,
        help="a district code the user works in (repeatable)",
    )
    token.add_argument("--sub", help="the subject (user name) the token is for")
    token.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")

    commands.add_parser("users", help="list the dev users")

    clients = commands.add_parser(
        "clients",
        help="manage partner systems' API clients (create, list, rotate, revoke)",
        description="API clients of the client-credentials grant, through the gateway's admin "
        "API. A secret is printed once, on create and rotate: store it at once. Calls use "
        "--token (or KAMKOR_TOKEN), an admin's token; without one, a dev admin token.",
    )
    clients.add_argument(
        "--gateway",
        default=os.environ.get("KAMKOR_GATEWAY_URL", "http://127.0.0.1:8000"),
        help="the gateway's URL (default: KAMKOR_GATEWAY_URL or http://127.0.0.1:8000)",
    )
    clients.add_argument("--token", default=os.environ.get("KAMKOR_TOKEN"), help="an admin token")
    clients.add_argument("--json", action="store_true", help="print the answer as JSON")
    actions = clients.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="a new client for an organisation")
    create.add_argument("--org", help="the partner organisation's id")
    create.add_argument("--name", required=True, help="what the client is, e.g. 'Legal aid CRM'")
    create.add_argument("--role", choices=["partner", "service"], default="partner")
    listing = actions.add_parser("list", help="the clients (of one organisation with --org)")
    listing.add_argument("--org", help="only this organisation's clients")
    rotate = actions.add_parser("rotate", help="a new secret; the old one stops working")
    rotate.add_argument("client_id")
    rotate.add_argument(
        "--grace",
        type=int,
        default=0,
        help="seconds the old secret keeps working (default 0: it stops now)",
    )
    revoke = actions.add_parser("revoke", help="no more tokens for the client")
    revoke.add_argument("client_id")

    dead = commands.add_parser(
        "dlq",
        help="list or replay the events a consumer group could not handle",
        description="Dead letters of a consumer group (dlq.<group>.v1). Replay publishes each "
        "not yet replayed letter back to its source topic once the cause is fixed.",
    )
    dead.add_argument("action", choices=["list", "replay"])
    dead.add_argument(
        "--group",
        required=True,
        help="the consumer group, e.g. referral, shelter-referrals, risk-households",
    )
    dead.add_argument("--bootstrap", help="the broker (default: KAMKOR_KAFKA_BOOTSTRAP_SERVERS)")
    add_outbox_parser(commands)
    intake = commands.add_parser(
        "intake",
        help="upload a field round (CSV or JSON lines) and follow its intake job",
        description="Upload FILE to the registry through the gateway, show the job's "
        "progress and print its summary (docs/intake.md).",
    )
    intake.add_argument("file", help="the round's file: .csv, or .jsonl / .ndjson")
    intake.add_argument("--format", choices=["csv", "jsonl"], help="default: from the name")
    intake.add_argument("--gateway", help="default: KAMKOR_GATEWAY_URL or http://127.0.0.1:8000")
    intake.add_argument("--token", help="a bearer token (default: KAMKOR_TOKEN)")
    intake.add_argument("--user", help="a dev user to issue a token for (see `kamkor users`)")
    intake.add_argument("--purpose", help="why, for the audit trail (e.g. 'round 2026-H2')")
    commands.add_parser(
        "run",
        help="start the embedded broker, the services and the gateway",
        add_help=False,
    )
    return parser


def _missing_place(role: str, region: str | None, districts: Sequence[str]) -> str:
    """What a token lacks to say where its holder works (see `Principal.place_scope`)."""
    if role == "supervisor" and not region:
        return "--region"
    if role == "social_worker":
        lacking = [
            flag for flag, given in (("--region", region), ("--district", districts)) if not given
        ]
        return " and ".join(lacking)
    return ""


def _token(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.user is not None:
        user = DEV_USERS_BY_NAME.get(args.user)
        if user is None:
            parser.error(f"unknown user {args.user!r}; one of: {', '.join(DEV_USERS_BY_NAME)}")
        role, subject = user.role, args.sub or user.name
        organization_id = args.org or user.organization_id
        region = args.region or user.region
        districts: Sequence[str] = args.district or user.districts
    else:
        if args.role not in ROLES:
            parser.error(f"unknown role {args.role!r}; one of: {', '.join(ROLES)}")
        role, subject = args.role, args.sub or f"dev-{args.role}"
        organization_id, region, districts = args.org, args.region, args.district or ()
    if args.ttl <= 0:
        parser.error("--ttl must be a positive number of seconds")
    if role in ORGANISATION_ROLES and not organization_id:
        print(f"note: a {role} token without --org reaches no organisation", file=sys.stderr)
    missing_place = _missing_place(role, region, districts)
    if missing_place:
        print(
            f"note: a {role} token without {missing_place} is refused by the services "
            "(403 scope_missing)",
            file=sys.stderr,
        )
    print(
        EmbeddedIssuer.from_settings(KamkorSettings()).issue(
            subject=subject,
            role=role,
            organization_id=organization_id,
            region=region,
            districts=districts,
            ttl_s=args.ttl,
        )
    )
    return 0


def _users() -> int:
    rows = [("USER", "ROLE", "ORGANISATION", "REGION", "DISTRICTS", "WHO")]
    rows += [
        (
            user.name,
            user.role,
            user.organization_id or "-",
            user.region or "-",
            ",".join(user.districts) or "-",
            user.description,
        )
        for user in DEV_USERS
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]))
    print("\nA token for one of them: kamkor token --user NAME")
    return 0


def _admin_token() -> str:
    """A dev admin token from the embedded issuer, for `make run`."""
    return EmbeddedIssuer.from_settings(KamkorSettings()).issue(
        subject="dev-admin", role="admin", ttl_s=300
    )


def _client_line(client: dict[str, Any]) -> str:
    return "\t".join(
        str(client.get(key) or "-")
        for key in ("id", "status", "role", "organization_id", "name", "rotated_at")
    )


def _clients(args: argparse.Namespace) -> int:
    token = args.token or _admin_token()
    path = "/api/v1/clients"
    body: dict[str, Any] | None = None
    params: dict[str, str] = {}
    if args.action == "create":
        body = {"name": args.name, "role": args.role}
        if args.org:
            body["organization_id"] = args.org
    elif args.action == "list":
        if args.org:
            params["organization_id"] = args.org
    elif args.action == "rotate":
        path, body = f"{path}/{args.client_id}/rotate", {"grace_s": args.grace}
    else:
        path = f"{path}/{args.client_id}/revoke"
    method = "GET" if args.action == "list" else "POST"
    try:
        response = httpx.request(
            method,
            args.gateway.rstrip("/") + path,
            json=body,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        print(f"the gateway at {args.gateway} did not answer: {exc}", file=sys.stderr)
        return 1
    if response.status_code >= 400:
        print(f"{response.status_code}: {response.text}", file=sys.stderr)
        return 1
    answer = response.json()
    if args.json:
        print(json.dumps(answer, indent=2, ensure_ascii=False))
        return 0
    clients = answer["items"] if args.action == "list" else [answer]
    for client in clients:
        print(_client_line(client))
    if "client_secret" in answer:
        print(f"client_secret: {answer['client_secret']}")
        print("The secret is shown once: store it now.", file=sys.stderr)
    return 0


def _dlq(args: argparse.Namespace) -> int:
    settings = KamkorSettings()
    if args.bootstrap:
        settings = settings.model_copy(update={"KAFKA_BOOTSTRAP_SERVERS": args.bootstrap})
    if args.action == "list":
        letters = asyncio.run(dlq.list_dead_letters(settings.KAFKA_BOOTSTRAP_SERVERS, args.group))
    else:
        letters = asyncio.run(dlq.replay(settings, args.group))
    for letter in letters:
        print(
            f"{letter.offset}\t{letter.event_type}\t{letter.event_id}\t"
            f"{letter.source_topic}@{letter.source_offset}\t{letter.error}"
        )
    verb = "replayed" if args.action == "replay" else "dead letters in"
    print(f"{len(letters)} {verb} dlq.{args.group}.v1", file=sys.stderr)
    return 0


def _intake(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from pathlib import Path

    from kamkor_gateway import intake

    path = Path(args.file)
    if not path.is_file():
        parser.error(f"no file {args.file}")
    token = args.token or os.environ.get("KAMKOR_TOKEN")
    if token is None and args.user is not None:
        user = DEV_USERS_BY_NAME.get(args.user)
        if user is None:
            parser.error(f"unknown user {args.user!r}; one of: {', '.join(DEV_USERS_BY_NAME)}")
        token = EmbeddedIssuer.from_settings(KamkorSettings()).issue(
            subject=user.name,
            role=user.role,
            organization_id=user.organization_id,
            region=user.region,
            districts=user.districts,
            ttl_s=8 * 3600,
        )
    if token is None:
        parser.error("give --token, KAMKOR_TOKEN or --user")
    return intake.run(
        path,
        gateway=(args.gateway or intake.default_gateway()).rstrip("/"),
        token=token,
        fmt=args.format,
        purpose=args.purpose,
    )


def _run(argv: Sequence[str]) -> int:
    # Imported here so that tokens and users work in an install without the dev runner.
    try:
        devrun = importlib.import_module("kamkor_gateway.devrun")
    except ModuleNotFoundError as exc:
        if exc.name != "kamkor_gateway.devrun":
            raise
        print("kamkor run is not available in this installation", file=sys.stderr)
        return 1
    result = devrun.main(list(argv))
    return int(result or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `kamkor` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    # Everything after `run` belongs to the runner, including options argparse would reject.
    if args_list and args_list[0] == "run":
        return _run(args_list[1:])
    parser = _parser()
    args = parser.parse_args(args_list)
    if args.command == "token":
        return _token(parser, args)
    if args.command == "dlq":
        return _dlq(args)
    if args.command == "clients":
        return _clients(args)
    if args.command == "outbox":
        return run_outbox(args)
    if args.command == "intake":
        return _intake(parser, args)
    return _users()


if __name__ == "__main__":
    sys.exit(main())
