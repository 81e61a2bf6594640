"""Loading rule-set files: checksums, an extra folder, and refusing files that break the rules.

A file that lets an answer of DESIGN §5 score below its floor, by its own points and
triggers, is refused when the process starts, even though the code floor would lift it.
"""

from __future__ import annotations

import copy
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from kamkor_risk.config import RiskSettings
from kamkor_risk.main import create_app
from kamkor_risk.rules import catalogue, service
from kamkor_risk.rules.service import RuleSetError


def shipped(version: str = "2026.1") -> dict[str, Any]:
    path = resources.files("kamkor_risk.rules") / "rulesets" / f"{version}.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def write(folder: Path, document: dict[str, Any], name: str | None = None) -> Path:
    path = folder / f"{name or document['version']}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def without_trigger(document: dict[str, Any], indicator: str) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    changed["hard_triggers"] = [t for t in changed["hard_triggers"] if t["indicator"] != indicator]
    return changed


class TestShippedFiles:
    def test_every_shipped_file_keeps_the_hard_triggers(self) -> None:
        for version in service.available_versions():
            service.check_hard_triggers(service.load_rule_set(version))

    def test_the_catalogue_holds_both_shipped_versions_with_their_checksums(self) -> None:
        loaded = catalogue.load_catalogue(default_version="2026.1")

        assert list(loaded) == ["2026.1", "2026.2"]
        path = resources.files("kamkor_risk.rules") / "rulesets" / "2026.2.json"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert loaded["2026.2"].checksum == f"sha256:{digest}"
        assert loaded["2026.2"].loaded_from == "shipped:2026.2.json"

    def test_2026_2_raises_older_caregivers_and_long_debts_only(self) -> None:
        old, new = service.load_rule_set("2026.1"), service.load_rule_set("2026.2")

        def severities(rule_set: Any, answers: dict[str, Any]) -> dict[str, str]:
            return {r.domain: r.severity for r in service.score(rule_set, answers)}

        grandmother = {"caregiver_age": 72, "both_parents_abroad": True}
        assert severities(old, grandmother)["caregiving"] == "medium"
        assert severities(new, grandmother)["caregiving"] == "high"
        debts = {"debt_arrears_months": 12, "breadwinner_unemployed": True}
        assert (severities(old, debts)["financial"], severities(new, debts)["financial"]) == (
            "medium",
            "high",
        )
        assert severities(old, {"caregiver_age": 66}) == severities(new, {"caregiver_age": 66})
        assert old.hard_triggers == new.hard_triggers

    def test_the_default_version_must_be_loaded(self) -> None:
        with pytest.raises(RuleSetError, match=r"RULE_SET_VERSION '2030\.1' is not loaded"):
            catalogue.load_catalogue(default_version="2030.1")


class TestExtraFolder:
    def test_a_good_file_is_loaded_beside_the_shipped_ones(self, tmp_path: Path) -> None:
        document = {**shipped(), "version": "site.1", "title": "a district pilot"}
        path = write(tmp_path, document)

        loaded = catalogue.load_catalogue(default_version="2026.1", extra_dir=str(tmp_path))

        assert set(loaded) == {"2026.1", "2026.2", "site.1"}
        assert loaded["site.1"].loaded_from == str(path.resolve())
        assert loaded["site.1"].rule_set.title == "a district pilot"

    def test_a_file_whose_points_miss_the_eviction_floor_is_refused(self, tmp_path: Path) -> None:
        document = without_trigger(shipped(), "eviction_notice_days")
        document["version"] = "weak.1"
        housing = document["domains"]["housing"]["rules"]
        eviction = next(r for r in housing if r["indicator"] == "eviction_notice_days")
        # 60 points within a week is high, not the critical DESIGN §5 asks for.
        eviction["bands"] = [{"when": {"lte": 30}, "points": 60}]
        write(tmp_path, document)

        with pytest.raises(RuleSetError, match=r"eviction_notice_days=\d+ gives housing high"):
            catalogue.load_catalogue(default_version="2026.1", extra_dir=str(tmp_path))

    @pytest.mark.parametrize(
        ("indicator", "domain"),
        [
            ("intends_to_give_up_newborn", "maternal_newborn"),
            ("homeless_now", "housing"),
            ("child_works_hazardous", "child_protection"),
            ("domestic_violence_signs", "child_protection"),
        ],
    )
    def test_a_file_that_drops_a_trigger_and_its_points_is_refused(
        self, tmp_path: Path, indicator: str, domain: str
    ) -> None:
        document = without_trigger(shipped(), indicator)
        document["version"] = "weak.2"
        rules = document["domains"][domain]["rules"]
        document["domains"][domain]["rules"] = [r for r in rules if r["indicator"] != indicator]
        write(tmp_path, document)

        with pytest.raises(RuleSetError, match=rf"weak\.2 breaks hard triggers: {indicator}="):
            catalogue.load_catalogue(default_version="2026.1", extra_dir=str(tmp_path))

    def test_dropping_the_trigger_entry_alone_is_fine_when_the_points_hold(
        self, tmp_path: Path
    ) -> None:
        # homeless_now gives 100 points: critical without any trigger entry.
        document = without_trigger(shipped(), "homeless_now")
        document["version"] = "lean.1"
        write(tmp_path, document)

        loaded = catalogue.load_catalogue(default_version="2026.1", extra_dir=str(tmp_path))

        assert "lean.1" in loaded

    def test_a_file_named_for_another_version_is_refused(self, tmp_path: Path) -> None:
        write(tmp_path, shipped(), name="2026.7")

        with pytest.raises(RuleSetError, match=r"declares version '2026\.1'"):
            catalogue.load_catalogue(default_version="2026.1", extra_dir=str(tmp_path))

    def test_a_second_file_of_a_shipped_version_is_refused(self, tmp_path: Path) -> None:
        write(tmp_path, shipped())

        with pytest.raises(RuleSetError, match=r"already loaded from shipped:2026\.1\.json"):
            catalogue.load_catalogue(default_version="2026.1", extra_dir=str(tmp_path))

    def test_a_route_name_is_not_a_version(self, tmp_path: Path) -> None:
        write(tmp_path, {**shipped(), "version": "active"})

        with pytest.raises(RuleSetError, match="names a route"):
            catalogue.load_catalogue(default_version="2026.1", extra_dir=str(tmp_path))

    def test_malformed_json_is_refused(self, tmp_path: Path) -> None:
        (tmp_path / "bad.1.json").write_text("{not json", encoding="utf-8")

        with pytest.raises(RuleSetError, match="malformed rule set"):
            catalogue.load_catalogue(default_version="2026.1", extra_dir=str(tmp_path))

    def test_the_service_does_not_start_with_a_broken_file(self, tmp_path: Path) -> None:
        document = without_trigger(shipped(), "intends_to_give_up_newborn")
        document["version"] = "weak.3"
        rules = document["domains"]["maternal_newborn"]["rules"]
        for rule in rules:
            if rule["indicator"] == "intends_to_give_up_newborn":
                rule["points"] = 40
        write(tmp_path, document)

        with pytest.raises(RuleSetError, match="intends_to_give_up_newborn=true gives"):
            create_app(RiskSettings(RULE_SET_DIR=str(tmp_path)))
