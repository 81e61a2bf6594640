"""RFC 9457 problem+json errors with stable codes; every error carries its status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://kamkor.kg/problems/"


class KamkorError(Exception):
    """Base of every expected error; subclasses set status, code and title."""

    status: int = 500
    code: str = "internal_error"
    title: str = "Internal error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class BadRequest(KamkorError):
    status, code, title = 400, "bad_request", "Bad request"


class Unauthorized(KamkorError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(KamkorError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(KamkorError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(KamkorError):
    status, code, title = 409, "conflict", "Conflict"


class PreconditionFailed(KamkorError):
    status, code, title = 412, "version_mismatch", "The record has changed since it was read"


class PreconditionRequired(KamkorError):
    status, code, title = 428, "if_match_required", "If-Match is required"


class Unprocessable(KamkorError):
    status, code, title = 422, "validation_error", "Invalid request"


class HeaderTooLarge(KamkorError):
    status, code, title = 431, "header_too_large", "Request header fields too large"


class ServiceUnavailable(KamkorError):
    status, code, title = 503, "service_unavailable", "Service unavailable"


class FieldError(BaseModel):
    """One invalid input of a `validation_error`."""

    field: str = Field(description="Dotted path of the input, e.g. `members.0.given_name`.")
    message: str
    type: str | None = Field(
        default=None, description="A stable kind of error, e.g. `missing`, `string_too_long`."
    )


class Problem(BaseModel):
    """An RFC 9457 problem document; `code` is stable, the texts are for people.

    Some problems carry more members (`errors` for invalid input, `service` for an
    upstream that failed, the ids a conflict names).
    """

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description="`https://kamkor.kg/problems/<code>`")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    code: str = Field(description="Stable, machine-readable; match on this.")
    instance: str | None = Field(default=None, description="The request path.")
    errors: list[FieldError] | None = None


def problem(
    status: int, code: str, title: str, detail: str, instance: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_STATUS_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    415: ("unsupported_media_type", "Unsupported media type"),
    429: ("rate_limited", "Too many requests"),
}


# PostgreSQL's answers to values no column or parameter can hold: character not in
# repertoire (NUL), untranslatable character, numeric value out of range.
_INPUT_SQLSTATES = frozenset({"22021", "22P05", "22003"})


def unstorable_input(exc: BaseException) -> bool:
    """Whether a database error was caused by a value the caller sent, not by Kamkor.

    The request schemas refuse such values first; this covers the rest (a path segment
    or a filter with a NUL, a number beyond 64 bits), which must not be a 500.
    """
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            break
        if isinstance(seen, OverflowError | UnicodeEncodeError):
            return True
        if getattr(seen, "sqlstate", None) in _INPUT_SQLSTATES:
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return False


def _message(error: Mapping[str, Any]) -> str:
    """Pydantic's message, unless Kamkor's own text types have a clearer one."""
    from kamkor_common.inputs import PATTERN_MESSAGES

    pattern = (error.get("ctx") or {}).get("pattern")
    return PATTERN_MESSAGES.get(str(pattern), str(error["msg"])) if pattern else str(error["msg"])


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    """Render every error, expected or not, as problem+json, and document them so."""
    install_openapi(app)

    @app.exception_handler(KamkorError)
    async def _kamkor(request: Request, exc: KamkorError) -> JSONResponse:
        return problem(exc.status, exc.code, exc.title, exc.detail, request.url.path, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_path(e["loc"]), "message": _message(e), "type": e["type"]}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(
            422, "validation_error", "Invalid request", detail, request.url.path, errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, title = _STATUS_CODES.get(exc.status_code, ("http_error", "HTTP error"))
        return problem(exc.status_code, code, title, str(exc.detail), request.url.path)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            # The connection died under the request: the database's fault, not the
            # caller's. The transaction was rolled back, so the request may be sent again
            # (under its Idempotency-Key, if it has one).
            response = problem(
                503,
                "database_unavailable",
                "Database unavailable",
                "the database connection was lost and nothing was saved; send the request again",
                request.url.path,
            )
            response.headers["Retry-After"] = "1"
            return response
        if unstorable_input(exc):
            return problem(
                422,
                "invalid_value",
                "Invalid request",
                "a value of the request has control characters, an invalid encoding or "
                "a number out of range",
                request.url.path,
            )
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        import logging

        logging.getLogger("kamkor.errors").exception("unhandled error on %s", request.url.path)
        return problem(
            500,
            "internal_error",
            "Internal error",
            "An unexpected error occurred",
            request.url.path,
        )


# What each documented problem status means; the codes are the stable ones a caller meets.
PROBLEM_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: `bad_request`, `invalid_path`, `idempotency_key_invalid`.",
    401: "No bearer token, or an invalid or expired one: `unauthorized`, `invalid_token`.",
    403: "The token's role, organisation or places do not allow this: `forbidden`, "
    "`scope_missing`.",
    404: "No such resource, or not one this caller may see: `not_found` or a specific "
    "`<thing>_not_found`.",
    409: "The request conflicts with the current state (e.g. `invalid_transition`, "
    "`duplicate_person`), or `idempotency_in_progress`.",
    412: "The `If-Match` version is not the record's current one: `version_mismatch`; "
    "read the record again.",
    413: "The request body is too large: `body_too_large`.",
    422: "Invalid input: `validation_error`, whose `errors` name each field; "
    "`idempotency_key_reused`; or a specific code of the operation.",
    428: "An update without `If-Match`: `if_match_required`.",
    429: "Too many requests from this client: `rate_limited`; send again after "
    "`Retry-After` seconds.",
    431: "A request header is too large: `header_too_large` (the Authorization header "
    "takes at most 8 KiB).",
    500: "An unexpected error: `internal_error`.",
    502: "The service behind the gateway failed: `upstream_error`.",
    503: "A service cannot be reached: `service_unavailable`, `upstream_unavailable`.",
    504: "A service did not answer in time: `upstream_timeout`.",
}

PROBLEM_REF = "#/components/schemas/Problem"
BEARER_SCHEME = "bearerAuth"
BEARER: dict[str, Any] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
AUTHENTICATED_PREFIXES = ("/api/v1/", "/partner/v1/")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
WRITE_METHODS = ("post", "put", "patch", "delete")


def problem_schemas() -> dict[str, Any]:
    """The `Problem` component and what it refers to, for an OpenAPI document."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return {"Problem": schema, **defs}


def add_problem_responses(operation: dict[str, Any], statuses: Iterable[int]) -> None:
    """Document the problem answers of one operation, keeping any description it has."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in sorted(statuses):
        entry = responses.setdefault(str(status), {})
        entry.setdefault("description", PROBLEM_DESCRIPTIONS[status])
        content = entry.setdefault("content", {})
        # FastAPI's own validation answer is not what Kamkor sends; a route's own JSON
        # answer (the OAuth token endpoint's RFC 6749 errors) stays.
        if "HTTPValidationError" in str(content.get("application/json", "")):
            content.pop("application/json")
        content[PROBLEM_JSON] = {"schema": {"$ref": PROBLEM_REF}}


def operation_problems(
    method: str, operation: Mapping[str, Any], *, authenticated: bool
) -> set[int]:
    """The problem statuses an operation of a Kamkor service can answer."""
    statuses = {500}
    has_input = bool(operation.get("parameters")) or "requestBody" in operation
    if has_input or method in WRITE_METHODS:
        statuses.add(422)
    if "requestBody" in operation or any(
        p.get("in") == "path" for p in operation.get("parameters", [])
    ):
        # The resource in the path, or one the body refers to, may not exist.
        statuses.add(404)
    if method in WRITE_METHODS:
        # Idempotency-Key: malformed (400), still running (409), reused (422).
        statuses |= {400, 409}
    if authenticated:
        statuses |= {401, 403, 431}
    if any(
        p.get("in") == "header" and str(p.get("name", "")).lower() == "if-match"
        for p in operation.get("parameters", [])
    ):
        statuses |= {412, 428}
    return statuses


def document_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Put the problem+json answers, and the bearer scheme, into an app's OpenAPI document.

    Every operation of the public API (`/api/v1/`, `/partner/v1/`) needs a bearer token.
    FastAPI's `HTTPValidationError` gives way to `Problem`, which is what a validation
    error really looks like (see `install_error_handlers`).
    """
    authenticated = False
    components = document.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            secured = path.startswith(AUTHENTICATED_PREFIXES)
            authenticated = authenticated or secured
            add_problem_responses(
                operation, operation_problems(method, operation, authenticated=secured)
            )
            if secured:
                operation.setdefault("security", [{BEARER_SCHEME: []}])
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas.update(problem_schemas())
    if authenticated:
        components.setdefault("securitySchemes", {})[BEARER_SCHEME] = BEARER
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the app's OpenAPI document with its problem answers documented."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
