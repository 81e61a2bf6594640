"""Versions as ETags, and the `If-Match` check every update makes (DESIGN §8)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from kamkor_common.errors import PreconditionFailed, PreconditionRequired

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description='The ETag of the version the change is based on, e.g. `"3"`.',
    ),
]


def etag(version: int) -> str:
    return f'"{version}"'


def require_if_match(if_match: str | None) -> str:
    """The header's value; an update without one is refused (428) so that none is blind."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired("send If-Match with the ETag of the record you read")
    return if_match


def check_version(if_match: str, version: int) -> None:
    """412 unless one of the listed tags is the record's current version."""
    tags = [tag.strip() for tag in if_match.split(",")]
    # Weak tags compare too: the version is the same whichever way it is quoted.
    if "*" in tags or any(tag.removeprefix("W/") == etag(version) for tag in tags):
        return
    raise PreconditionFailed(
        f"the record is at version {version} (ETag {etag(version)}), not {if_match[:50]}",
        current_version=version,
    )
