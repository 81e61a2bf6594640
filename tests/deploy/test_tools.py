"""The deploy tools' verdicts: checkov, promtool and hadolint, plus Kamkor's Dockerfile rules."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from tests.deploy.conftest import K8S, ROOT, find_tool, run

PROMETHEUS = K8S / "base" / "observability" / "prometheus"
IMAGES = {
    "registry": ROOT / "services" / "registry" / "Dockerfile",
    "risk": ROOT / "services" / "risk" / "Dockerfile",
    "referral": ROOT / "services" / "referral" / "Dockerfile",
    "shelter": ROOT / "services" / "shelter" / "Dockerfile",
    "gateway": ROOT / "gateway" / "Dockerfile",
}
# Skips written on the resources themselves (checkov.io/skipN annotations), with why.
ALLOWED_SKIPS = {"CKV_K8S_35"}


@pytest.fixture(scope="class")
def report(rendered, tool) -> list[dict]:
    checkov = tool("checkov")
    files = [str(r.path) for r in rendered.values()] + [str(p) for p in IMAGES.values()]
    args = [checkov, "--config-file", str(ROOT / "deploy" / "checkov.yaml")]
    args += ["--framework", "kubernetes", "dockerfile", "--output", "json"]
    for f in files:
        args += ["-f", f]
    # No calls home: the mapping download is skipped, the run works offline.
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert done.stdout.strip(), done.stderr[-2000:]
    out = json.loads(done.stdout)
    return out if isinstance(out, list) else [out]


class TestCheckov:
    def test_no_check_fails(self, report):
        by_type = {r["check_type"]: r for r in report}
        assert set(by_type) == {"kubernetes", "dockerfile"}
        for kind, r in by_type.items():
            failed = [f"{c['check_id']} {c['resource']}" for c in r["results"]["failed_checks"]]
            assert not failed, f"{kind}: {failed}"
            assert r["summary"]["parsing_errors"] == 0
            assert r["summary"]["passed"] > 50

    def test_every_skip_is_documented(self, report):
        for r in report:
            for c in r["results"]["skipped_checks"]:
                assert c["check_id"] in ALLOWED_SKIPS, c["check_id"]
                assert c["check_result"].get("suppress_comment"), c["resource"]

    def test_the_global_skips_are_the_documented_ones(self):
        config = yaml.safe_load((ROOT / "deploy" / "checkov.yaml").read_text())
        assert config["skip-check"] == ["CKV_K8S_43"]
        operations = (ROOT / "docs" / "operations.md").read_text()
        for check in [*config["skip-check"], *ALLOWED_SKIPS]:
            assert check in operations, f"{check} skipped without a word in docs/operations.md"


class TestPromtool:
    def test_rules_are_valid(self, tool):
        done = run([tool("promtool"), "check", "rules", str(PROMETHEUS / "kamkor.rules.yaml")])
        assert done.returncode == 0, done.stdout + done.stderr
        assert "SUCCESS: 7 rules found" in done.stdout

    def test_rules_pass_their_unit_tests(self, tool):
        done = run([tool("promtool"), "test", "rules", "kamkor.rules.test.yaml"], cwd=PROMETHEUS)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "SUCCESS" in done.stdout

    def test_a_broken_expectation_fails_the_unit_tests(self, tool, tmp_path):
        """The unit tests can fail: a stat referral of 15 minutes sharp must not fire."""
        tests = yaml.safe_load((PROMETHEUS / "kamkor.rules.test.yaml").read_text())
        stat = next(t for t in tests["tests"] if "stat referral" in t["name"])
        stat["alert_rule_test"][0]["exp_alerts"] = [{"exp_labels": {"severity": "critical"}}]
        tests["rule_files"] = [str(PROMETHEUS / "kamkor.rules.yaml")]
        (tmp_path / "t.yaml").write_text(yaml.safe_dump(tests))
        done = run([tool("promtool"), "test", "rules", str(tmp_path / "t.yaml")])
        assert done.returncode != 0

    def test_the_prometheus_config_loads_the_rules(self, tool, tmp_path):
        config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
        assert config["rule_files"] == ["/etc/prometheus/rules/*.yaml"]
        shutil.copy(PROMETHEUS / "kamkor.rules.yaml", tmp_path / "kamkor.rules.yaml")
        config["rule_files"] = [str(tmp_path / "*.yaml")]
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        done = run([tool("promtool"), "check", "config", str(tmp_path / "prometheus.yml")])
        assert done.returncode == 0, done.stdout + done.stderr
        assert "SUCCESS: 7 rules found" in done.stdout


def _stages(text: str) -> list[list[str]]:
    """A Dockerfile's instructions (continuations joined), split by FROM."""
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = [
        ln.strip() for ln in joined.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    stages: list[list[str]] = []
    for ln in lines:
        if ln.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(ln)
    return stages


@pytest.mark.parametrize("name", sorted(IMAGES))
class TestDockerfiles:
    def test_hadolint_is_clean(self, name, tool):
        done = run([tool("hadolint"), "--failure-threshold", "info", str(IMAGES[name])])
        assert done.returncode == 0, done.stdout + done.stderr

    def test_builder_syncs_the_locked_package_without_dev(self, name):
        stages = _stages(IMAGES[name].read_text())
        builder = " ".join(next(s for s in stages if " AS builder" in s[0]))
        assert f"uv sync --frozen --no-dev --package kamkor-{name}" in builder
        assert "COPY uv.lock" in builder or "uv.lock" in builder

    def test_runtime_is_slim_non_root_and_without_build_tools(self, name):
        stages = _stages(IMAGES[name].read_text())
        assert len(stages) >= 3, "multi-stage: uv, builder, runtime"
        for stage in stages:
            image = stage[0].split()[1]
            assert ":" in image and not image.endswith(":latest"), image
        runtime = stages[-1]
        assert "slim" in runtime[0]
        users = [ln.split()[1] for ln in runtime if ln.upper().startswith("USER ")]
        assert users, "no USER in the final stage"
        uid = users[-1].split(":")[0]
        assert uid.isdigit() and int(uid) >= 10000, users[-1]
        text = " ".join(runtime)
        assert "--from=uv" not in text and "uv sync" not in text and "pip install" not in text
        assert not re.search(r"apt-get install|gcc|build-essential", text)
        assert any(ln.startswith("HEALTHCHECK") and "/livez" in ln for ln in runtime)

    def test_the_image_starts_its_own_app_on_the_deployments_port(self, name, rendered):
        module = "kamkor_gateway" if name == "gateway" else f"kamkor_{name}"
        runtime = _stages(IMAGES[name].read_text())[-1]
        cmd = json.loads(next(ln for ln in runtime if ln.startswith("CMD")).removeprefix("CMD"))
        assert cmd[:3] == ["uvicorn", "--factory", f"{module}.main:create_app"]
        port = int(cmd[cmd.index("--port") + 1])
        assert f"EXPOSE {port}" in runtime
        for r in rendered.values():
            container = r.get("Deployment", name)["spec"]["template"]["spec"]["containers"][0]
            assert container["ports"][0]["containerPort"] == port
            assert container["image"].split(":")[0] == f"kamkor/{name}"


class TestMissingTools:
    def test_a_missing_tool_fails_the_test(self, monkeypatch):
        monkeypatch.delenv("KAMKOR_DEPLOY_TOOLS_OPTIONAL", raising=False)
        with pytest.raises(pytest.fail.Exception, match="make deploy-tools"):
            find_tool("kamkor-no-such-tool")

    def test_a_developer_may_opt_into_a_skip(self, monkeypatch):
        monkeypatch.setenv("KAMKOR_DEPLOY_TOOLS_OPTIONAL", "1")
        with pytest.raises(pytest.skip.Exception):
            find_tool("kamkor-no-such-tool")
