"""The runbook's commands (docs/operations.md, section Runbook) fit what is deployed.

Every `kubectl` line names a Deployment of the prod overlay, a replica count no larger
than the partitions its consumers can use, and every `kamkor` / `kamkor_common.ops` line
parses with the command's own parser.
"""

from __future__ import annotations

import argparse
import re
import shlex

import pytest

from kamkor_common import ops
from kamkor_common.events import topics
from kamkor_gateway import cli
from tests.deploy.conftest import ROOT
from tests.deploy.test_kafka import _consumers

RUNBOOK = (ROOT / "docs" / "operations.md").read_text().split("## Runbook", 1)[1].split("\n## ")[0]
COMMANDS = [
    line.strip().rstrip("&").strip()
    for block in re.findall(r"```sh\n(.*?)```", RUNBOOK, flags=re.S)
    for line in block.splitlines()
    if line.strip() and not line.strip().startswith("#")
]


def _deployment(word: str) -> str:
    return word.split("/", 1)[1]


def _ops_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ops")
    ops.add_outbox_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def test_the_runbook_has_the_steps_the_operators_need():
    headings = [h.lower() for h in re.findall(r"^### (.+)$", RUNBOOK, flags=re.M)]
    for step in ("trace", "replay", "drain", "rotate", "scale"):
        assert any(step in h for h in headings), f"no runbook step about {step}: {headings}"
    assert any("outbox drain" in c for c in COMMANDS)
    assert any(" scale deployment/" in c for c in COMMANDS)
    assert any(c.startswith("uv run kamkor clients rotate") for c in COMMANDS)


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.startswith("kubectl")])
def test_kubectl_lines_name_deployed_workloads(rendered, command):
    words = shlex.split(command)
    deployments = {d["metadata"]["name"]: d for d in rendered["prod"].of_kind("Deployment")}
    targets = [w for w in words if w.startswith(("deploy/", "deployment/"))]
    assert targets, command
    for target in targets:
        assert _deployment(target) in deployments, f"{command}: no Deployment {target}"
    if "scale" in words:
        name = _deployment(targets[0])
        replicas = int(next(w for w in words if w.startswith("--replicas=")).split("=")[1])
        service = name.removesuffix("-worker")
        fewest = min(
            topics.PARTITIONS[t] for spec in _consumers().get(service, []) for t in spec.topics
        )
        assert replicas <= fewest, f"{command}: {replicas} replicas, {fewest} partitions"
    if "exec" in words and "kamkor_common.ops" in words:
        args = words[words.index("kamkor_common.ops") + 1 :]
        _ops_parser().parse_args(args)  # exits (fails the test) on a wrong argument
    if "port-forward" in words:
        port = words[-1].split(":")[-1]
        container = deployments[_deployment(targets[0])]["spec"]["template"]["spec"]["containers"][
            0
        ]
        assert int(port) in [p["containerPort"] for p in container["ports"]], command


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.startswith("uv run kamkor")])
def test_kamkor_lines_parse(command):
    args = shlex.split(command)[3:]
    cli._parser().parse_args(args)
