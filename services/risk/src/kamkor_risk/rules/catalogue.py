"""The rule sets a process has loaded: the shipped files and those of an optional folder.

Every file is read, validated and checked against the hard triggers when the app is built;
one bad file stops the process there, before it serves anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kamkor_risk.rules.schemas import RuleSet
from kamkor_risk.rules.service import (
    RULESETS_DIR,
    RULESETS_PACKAGE,
    RuleSetError,
    check_hard_triggers,
    parse_rule_set,
)


@dataclass(frozen=True)
class LoadedRuleSet:
    rule_set: RuleSet
    checksum: str
    """`sha256:` and the hex digest of the file's bytes, as read."""
    loaded_from: str

    @property
    def version(self) -> str:
        return self.rule_set.version


@dataclass(frozen=True)
class RuleSetCatalogue(Mapping[str, LoadedRuleSet]):
    """The loaded rule sets by version, and the version a new database starts with."""

    by_version: Mapping[str, LoadedRuleSet]
    default_version: str

    def __getitem__(self, version: str) -> LoadedRuleSet:
        return self.by_version[version]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.by_version))

    def __len__(self) -> int:
        return len(self.by_version)


def load_file(text: bytes, *, version: str, loaded_from: str) -> LoadedRuleSet:
    try:
        rule_set = parse_rule_set(text.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RuleSetError(f"{loaded_from}: not UTF-8 text") from exc
    except RuleSetError as exc:
        raise RuleSetError(f"{loaded_from}: {exc}") from exc
    if rule_set.version != version:
        raise RuleSetError(f"{loaded_from} declares version {rule_set.version!r}")
    try:
        check_hard_triggers(rule_set)
    except RuleSetError as exc:
        raise RuleSetError(f"{loaded_from}: {exc}") from exc
    checksum = "sha256:" + hashlib.sha256(text).hexdigest()
    return LoadedRuleSet(rule_set=rule_set, checksum=checksum, loaded_from=loaded_from)


def load_catalogue(*, default_version: str, extra_dir: str | None = None) -> RuleSetCatalogue:
    """Every shipped rule set and every `*.json` of `extra_dir`; refuses any bad file."""
    found: dict[str, LoadedRuleSet] = {}
    shipped = resources.files(RULESETS_PACKAGE) / RULESETS_DIR
    sources: list[tuple[str, bytes, str]] = [
        (entry.name.removesuffix(".json"), entry.read_bytes(), f"shipped:{entry.name}")
        for entry in shipped.iterdir()
        if entry.name.endswith(".json")
    ]
    if extra_dir is not None:
        folder = Path(extra_dir)
        if not folder.is_dir():
            raise RuleSetError(f"RULE_SET_DIR {extra_dir} is not a folder")
        sources += [
            (path.stem, path.read_bytes(), str(path.resolve()))
            for path in sorted(folder.glob("*.json"))
        ]
    for version, text, origin in sources:
        if version in RESERVED:
            raise RuleSetError(f"{origin}: {version!r} names a route, not a version")
        if version in found:
            raise RuleSetError(
                f"{origin}: version {version} is already loaded from {found[version].loaded_from}"
            )
        found[version] = load_file(text, version=version, loaded_from=origin)
    if default_version not in found:
        raise RuleSetError(
            f"RULE_SET_VERSION {default_version!r} is not loaded; have {', '.join(sorted(found))}"
        )
    return RuleSetCatalogue(by_version=found, default_version=default_version)


RESERVED = frozenset({"active", "activations"})
_installed: RuleSetCatalogue | None = None


def install(catalogue: RuleSetCatalogue) -> None:
    """Make the catalogue the process's, for code that runs outside a request (consumers)."""
    global _installed
    _installed = catalogue


def installed() -> RuleSetCatalogue:
    """The process's catalogue; the shipped files alone when no app has been built."""
    global _installed
    if _installed is None:
        from kamkor_risk.config import RiskSettings

        settings = RiskSettings()
        _installed = load_catalogue(
            default_version=settings.RULE_SET_VERSION, extra_dir=settings.RULE_SET_DIR
        )
    return _installed
