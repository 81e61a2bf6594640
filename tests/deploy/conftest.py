"""Rendered overlays and the deploy tools (kubectl, promtool, checkov, hadolint).

The tools are installed by `make deploy-tools` (run by .ci/run). A missing tool fails
the test; only a developer who sets KAMKOR_DEPLOY_TOOLS_OPTIONAL=1 gets a skip instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
# Where `uv tool install` puts checkov and hadolint when ~/.local/bin is not on PATH.
TOOL_DIRS = (Path.home() / ".local" / "bin",)


def find_tool(name: str) -> str:
    """The path of a deploy tool; fails (or skips, on a dev machine that opts in) without it."""
    found = shutil.which(name) or next(
        (str(d / name) for d in TOOL_DIRS if (d / name).is_file()), None
    )
    if found:
        return found
    message = f"{name} is not installed: run `make deploy-tools`"
    if os.environ.get("KAMKOR_DEPLOY_TOOLS_OPTIONAL") == "1":
        pytest.skip(message)
    pytest.fail(message)


@pytest.fixture(scope="session")
def tool() -> Callable[[str], str]:
    return find_tool


def run(
    args: list[str], *, cwd: Path = ROOT, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a tool and keep its output for the assertion message."""
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@dataclass(frozen=True)
class Rendered:
    """One overlay as `kubectl kustomize` renders it."""

    overlay: str
    path: Path
    docs: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        matches = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        assert len(matches) == 1, f"{self.overlay}: expected one {kind}/{name}, got {len(matches)}"
        return matches[0]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """Every overlay rendered once per run, written to a file for the file-based tools."""
    kubectl = find_tool("kubectl")
    out = tmp_path_factory.mktemp("rendered")
    result: dict[str, Rendered] = {}
    for overlay in OVERLAYS:
        done = run([kubectl, "kustomize", str(K8S / "overlays" / overlay)])
        assert done.returncode == 0, f"kubectl kustomize {overlay} failed:\n{done.stderr}"
        path = out / f"{overlay}.yaml"
        path.write_text(done.stdout)
        docs = [d for d in yaml.safe_load_all(done.stdout) if d]
        result[overlay] = Rendered(overlay=overlay, path=path, docs=docs)
    return result


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = workload["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    """A container's env by name: a plain value, or the valueFrom mapping."""
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}
