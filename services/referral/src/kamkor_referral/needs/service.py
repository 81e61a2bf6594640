"""From a family-flagged event to the services the family needs, by a versioned mapping."""

from __future__ import annotations

import functools
from importlib import resources

from kamkor_common.events.schemas.risk import FamilyFlagged
from kamkor_referral.needs.schemas import PRIORITY_RANK, SEVERITY_RANK, Need, NeedsMapping


@functools.cache
def load_mapping(version: str) -> NeedsMapping:
    """Read and validate `needs/mappings/<version>.json`."""
    source = resources.files("kamkor_referral.needs").joinpath("mappings", f"{version}.json")
    if not source.is_file():
        raise LookupError(f"no needs mapping version {version!r}")
    mapping = NeedsMapping.model_validate_json(source.read_text(encoding="utf-8"))
    if mapping.version != version:
        raise ValueError(f"mapping file {version}.json declares version {mapping.version}")
    return mapping


def needs_for(*, flagged: FamilyFlagged, mapping: NeedsMapping) -> list[Need]:
    """The needed service types, one per type, at the highest priority any domain asks."""
    needs: dict[str, Need] = {}
    for finding in flagged.domains:
        rank = SEVERITY_RANK[finding.severity]
        for rule in mapping.domains.get(finding.domain, []):
            if rank < SEVERITY_RANK[rule.min_severity]:
                continue
            priority = mapping.severity_priority[finding.severity]
            codes = f" ({', '.join(finding.reasons)})" if finding.reasons else ""
            reason = (
                f"needs {rule.service_type}: {finding.domain} {finding.severity}{codes}, "
                f"needs mapping {mapping.version}"
            )
            need = needs.get(rule.service_type)
            if need is None:
                need = needs[rule.service_type] = Need(rule.service_type, priority)
            elif PRIORITY_RANK[priority] > PRIORITY_RANK[need.priority]:
                need.priority = priority
            if finding.flag_id and finding.flag_id not in need.flag_ids:
                need.flag_ids.append(finding.flag_id)
            need.reasons.append(reason)
    return list(needs.values())


def shelter_category(*, service_type: str, mapping: NeedsMapping) -> str | None:
    """The bed category a shelter service type needs, or None for other services."""
    categories = {str(t): str(c) for t, c in mapping.shelter_categories.items()}
    return categories.get(service_type)
