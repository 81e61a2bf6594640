"""What an endpoint may point at and subscribe to."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from kamkor_common.errors import Unprocessable
from kamkor_referral.config import ReferralSettings
from kamkor_referral.webhooks import payloads

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class WebhookUrlInvalid(Unprocessable):
    code = "webhook_url_invalid"
    title = "The webhook URL is not acceptable"


class WebhookEventTypeUnknown(Unprocessable):
    code = "webhook_event_type_unknown"
    title = "Unknown webhook event type"


def check_url(url: str, settings: ReferralSettings) -> str:
    """An absolute http(s) URL without credentials; plain http only to loopback in dev/test."""
    if any(c <= " " or c > "~" for c in url):
        raise WebhookUrlInvalid("the URL must be printable ASCII without spaces (IDNA hosts)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookUrlInvalid(f"not a URL: {exc}") from exc
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise WebhookUrlInvalid("the URL must be absolute, with https:// and a host")
    if parts.username or parts.password:
        raise WebhookUrlInvalid("the URL must not carry a user name or password")
    if port == 0:
        raise WebhookUrlInvalid("the URL's port must be 1 to 65535")
    local = host in LOOPBACK_HOSTS
    development = settings.ENVIRONMENT in ("dev", "test")
    if parts.scheme == "http" and not (local and development):
        raise WebhookUrlInvalid("the URL must use https:// (plain http only to localhost in dev)")
    if not development and (local or _private_address(host)):
        raise WebhookUrlInvalid("the URL must point to a public host")
    return url


def _private_address(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def check_event_types(event_types: list[str]) -> list[str]:
    """The subscribed types without repeats; each a referral event type, or `*`."""
    known = payloads.subscribable_types()
    unknown = [t for t in event_types if t != payloads.WILDCARD and t not in known]
    if unknown:
        raise WebhookEventTypeUnknown(
            f"unknown event types: {', '.join(unknown)}; one of {', '.join(sorted(known))} or *",
            known=sorted(known),
        )
    return sorted(set(event_types))
