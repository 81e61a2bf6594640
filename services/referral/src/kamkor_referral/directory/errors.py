"""The directory's problems, each with its status and stable code."""

from __future__ import annotations

from kamkor_common.errors import Conflict, KamkorError, NotFound, Unprocessable


class PartnerNotFound(NotFound):
    code = "partner_not_found"
    title = "Partner organisation not found"


class PartnerServiceNotFound(NotFound):
    code = "partner_service_not_found"
    title = "Partner service not found"


class UnknownArea(Unprocessable):
    code = "unknown_area"
    title = "Unknown service area"


class InvalidAgeRange(Unprocessable):
    code = "invalid_age_range"
    title = "Minimum age above maximum age"


class OrganizationHasOpenReferrals(Conflict):
    code = "organization_has_open_referrals"
    title = "The organisation has open referrals"


class ServiceHasOpenReferrals(Conflict):
    code = "service_has_open_referrals"
    title = "The service has open referrals"


class VersionMismatch(KamkorError):
    status, code, title = 412, "version_mismatch", "Changed since it was read"


class IfMatchRequired(KamkorError):
    status, code, title = 428, "if_match_required", "If-Match required"
