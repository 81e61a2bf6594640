from __future__ import annotations

import asyncio
import sys
import time
import types
import uuid

import jwt
import pytest

from kamkor_common.auth import ROLES, verifier_from_settings
from kamkor_common.events.topics import dlq_topic
from kamkor_common.messaging.producer import Producer, ensure_topics
from kamkor_common.reference.partners import LEGAL_AID, MOTHERS_HOME, SHELTER_OPERATOR
from kamkor_common.settings import KamkorSettings
from kamkor_gateway.cli import main
from kamkor_gateway.devusers import DEV_USERS


def _verify(token: str):
    return verifier_from_settings(KamkorSettings()).verify(token)


class TestTokenCommand:
    def test_prints_a_token_with_role_org_and_region(self, capsys):
        code = main(["token", "--role", "partner", "--org", LEGAL_AID, "--region", "KG-J"])

        out = capsys.readouterr().out
        assert code == 0
        assert len(out.strip().splitlines()) == 1
        principal = _verify(out.strip())
        assert principal.role == "partner"
        assert principal.organization_id == LEGAL_AID
        assert principal.region == "KG-J"

    def test_subject_districts_and_lifetime(self, capsys):
        main(
            [
                "token",
                "--role",
                "social_worker",
                "--sub",
                "nurzat",
                "--district",
                "KG-J-01",
                "--district",
                "KG-J-09",
                "--ttl",
                "60",
            ]
        )

        token = capsys.readouterr().out.strip()
        principal = _verify(token)
        assert principal.subject == "nurzat"
        assert principal.districts == ["KG-J-01", "KG-J-09"]
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["exp"] - int(time.time()) <= 60

    @pytest.mark.parametrize("role", ROLES)
    def test_every_role_of_the_design(self, capsys, role):
        assert main(["token", "--role", role, "--org", MOTHERS_HOME]) == 0

        assert _verify(capsys.readouterr().out.strip()).role == role

    def test_unknown_role_fails_listing_the_roles(self, capsys):
        with pytest.raises(SystemExit) as exit_info:
            main(["token", "--role", "director"])

        assert exit_info.value.code != 0
        err = capsys.readouterr().err
        assert "director" in err
        for role in ROLES:
            assert role in err

    def test_role_or_user_is_required(self, capsys):
        with pytest.raises(SystemExit) as exit_info:
            main(["token"])

        assert exit_info.value.code != 0

    def test_token_of_a_dev_user(self, capsys):
        assert main(["token", "--user", "aigul"]) == 0

        principal = _verify(capsys.readouterr().out.strip())
        assert principal.subject == "aigul"
        assert principal.role == "social_worker"
        assert principal.region == "KG-J"
        assert "KG-J-09" in principal.districts

    def test_token_of_the_shelter_staff_names_the_operator(self, capsys):
        main(["token", "--user", "shelter-staff"])

        principal = _verify(capsys.readouterr().out.strip())
        assert principal.role == "shelter_staff"
        assert principal.organization_id == SHELTER_OPERATOR

    def test_unknown_user_fails_listing_the_users(self, capsys):
        with pytest.raises(SystemExit):
            main(["token", "--user", "nobody"])

        err = capsys.readouterr().err
        assert "nobody" in err
        assert "aigul" in err

    @pytest.mark.parametrize(
        ("args", "lacking"),
        [
            (["--role", "social_worker"], "--region and --district"),
            (["--role", "social_worker", "--region", "KG-J"], "--district"),
            (["--role", "social_worker", "--district", "KG-J-09"], "--region"),
            (["--role", "supervisor"], "--region"),
            (["--role", "supervisor", "--district", "KG-J-09"], "--region"),
        ],
    )
    def test_notes_a_token_the_services_refuse_for_want_of_a_place(self, capsys, args, lacking):
        assert main(["token", *args]) == 0

        out, err = capsys.readouterr()
        assert f"without {lacking} is refused by the services (403 scope_missing)" in err
        # The token is still printed: a refusal is worth seeing, too.
        assert _verify(out.strip()).role == args[1]

    @pytest.mark.parametrize(
        "args",
        [
            ["--role", "social_worker", "--region", "KG-J", "--district", "KG-J-09"],
            ["--role", "supervisor", "--region", "KG-J"],
            ["--user", "aigul"],
            ["--user", "bakyt"],
            ["--role", "admin"],
            ["--role", "analyst"],
        ],
    )
    def test_no_place_note_when_the_token_says_enough(self, capsys, args):
        assert main(["token", *args]) == 0

        assert "scope_missing" not in capsys.readouterr().err


class TestUsersCommand:
    def test_lists_every_dev_user(self, capsys):
        assert main(["users"]) == 0

        out = capsys.readouterr().out
        for user in DEV_USERS:
            assert user.name in out
        for organization_id in (MOTHERS_HOME, LEGAL_AID, SHELTER_OPERATOR):
            assert organization_id in out

    def test_covers_every_role(self):
        assert {user.role for user in DEV_USERS} == set(ROLES)

    def test_every_partner_of_the_seed_has_a_user(self):
        partners = {u.organization_id for u in DEV_USERS if u.role == "partner"}

        assert partners == {MOTHERS_HOME, LEGAL_AID, SHELTER_OPERATOR}


class TestRunCommand:
    def test_hands_every_argument_to_the_runner(self, monkeypatch):
        received: list[list[str]] = []
        runner = types.ModuleType("kamkor_gateway.devrun")
        runner.main = lambda argv: received.append(argv) or 3  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "kamkor_gateway.devrun", runner)

        code = main(["run", "--postgres", "-v", "gateway"])

        assert received == [["--postgres", "-v", "gateway"]]
        assert code == 3

    def test_reports_a_missing_runner(self, monkeypatch, capsys):
        monkeypatch.setitem(sys.modules, "kamkor_gateway.devrun", None)

        assert main(["run"]) == 1
        assert "not available" in capsys.readouterr().err


class TestDeadLetters:
    def test_lists_the_dead_letters_of_a_group(self, capsys, broker):
        group = f"cli-test-{uuid.uuid4().hex[:6]}"
        headers = [
            ("ce_type", b"kamkor.test.ping.v1"),
            ("ce_id", b"event-1"),
            ("dlq_error", b"ValidationError: n is not a number"),
            ("dlq_source_topic", b"risk.flags.v1"),
            ("dlq_source_offset", b"41"),
        ]

        async def park() -> None:
            producer = Producer(KamkorSettings(KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap))
            await ensure_topics(broker.bootstrap, {dlq_topic(group): 1})
            await producer.send(dlq_topic(group), b"household-1", b"{}", headers)
            await producer.stop()

        asyncio.run(park())
        assert main(["dlq", "list", "--group", group, "--bootstrap", broker.bootstrap]) == 0
        out, err = capsys.readouterr()
        assert out.split("\t") == [
            "0",
            "kamkor.test.ping.v1",
            "event-1",
            "risk.flags.v1@41",
            "ValidationError: n is not a number\n",
        ]
        assert f"1 dead letters in dlq.{group}.v1" in err


class TestClientsCommand:
    """`kamkor clients …` against a gateway over HTTP, with the dev admin token."""

    async def test_create_list_rotate_revoke(self, served_gateway, capsys):
        def run(*args: str) -> tuple[int, str]:
            code = main(["clients", "--gateway", served_gateway, *args])
            return code, capsys.readouterr().out

        code, out = await asyncio.to_thread(
            run, "create", "--org", LEGAL_AID, "--name", "Legal aid CRM"
        )
        assert code == 0
        client_id = out.split("\t", 1)[0]
        secret = out.split("client_secret: ", 1)[1].strip()
        assert secret

        code, out = await asyncio.to_thread(run, "list", "--org", LEGAL_AID)
        assert code == 0 and client_id in out and secret not in out

        code, out = await asyncio.to_thread(run, "rotate", client_id, "--grace", "60")
        assert code == 0 and out.split("client_secret: ", 1)[1].strip() != secret

        code, out = await asyncio.to_thread(run, "--json", "revoke", client_id)
        assert code == 0 and '"status": "revoked"' in out

    async def test_a_refusal_exits_1(self, served_gateway, capsys):
        code = await asyncio.to_thread(
            main, ["clients", "--gateway", served_gateway, "--token", "junk", "list"]
        )
        assert code == 1
        assert "401" in capsys.readouterr().err
