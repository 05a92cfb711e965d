"""The API root: django-ninja under /api/v1/, bearer tokens, JSON errors {"detail", "code"}."""

import logging

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError as NinjaValidationError

from gonghui.core.api import BearerAuth, router as auth_router
from gonghui.core.middleware import ERROR_CODES
from gonghui.orgs.api import router as orgs_router
from gonghui.orgs.selectors import OrgNotFound, OrgOutOfScope
from gonghui.workbench import routes

logger = logging.getLogger("gonghui.api")

api = NinjaAPI(
    title="Gonghui API",
    version="1",
    description="Trade-union platform API. Authenticate with POST /api/v1/auth/token, then send "
    "`Authorization: Bearer <token>`. Every error is JSON {\"detail\", \"code\"}.",
    auth=BearerAuth(),
    urls_namespace="api",
)
api.add_router("/auth", auth_router)
api.add_router("/orgs", orgs_router)
# Then what apps registered (gonghui.workbench.routes), in the order of INSTALLED_APPS.
for prefix, router in routes.api_routers():
    api.add_router(prefix, router)


def _error(request, detail, code: str, status: int):
    return api.create_response(request, {"detail": detail, "code": code}, status=status)


def _public_error(error: dict) -> dict:
    # pydantic repeats the offending input (and its context); an ID number typed into a field
    # must not come back in an error body, which clients log.
    return {key: error[key] for key in ("type", "loc", "msg") if key in error}


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc):
    return _error(request, [_public_error(e) for e in exc.errors], "invalid", 422)


@api.exception_handler(ValidationError)
def _django_invalid(request, exc):
    detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return _error(request, detail, "invalid", 422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = _error(request, "Authentication required: send Authorization: Bearer <token>.", "unauthenticated", 401)
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(OrgNotFound)
def _org_not_found(request, exc):
    # Also for a union outside the caller's subtree: codes cannot be enumerated by trying them.
    return _error(request, "No union in your subtree has this code.", "not_found", 404)


@api.exception_handler(OrgOutOfScope)
def _org_forbidden(request, exc):
    return _error(request, "Your role does not allow this for this union.", "forbidden", 403)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, str(exc) or "Not allowed.", "forbidden", 403)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, "Not found.", "not_found", 404)


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return _error(request, str(exc), ERROR_CODES.get(exc.status_code, "error"), exc.status_code)


@api.exception_handler(RequestDataTooBig)
def _too_large(request, exc):
    return _error(request, "The request body is too large.", "too_large", 413)


# A body Django cannot read (multipart without a boundary or cut short, too many fields or files, a
# form in another charset than UTF-8) is the client's fault, as Django itself answers outside the API.
@api.exception_handler(MultiPartParserError)
@api.exception_handler(BadRequest)
@api.exception_handler(SuspiciousOperation)
def _unreadable_body(request, exc):
    logger.warning("Unreadable request to %s %s (%s)", request.method, request.path, type(exc).__name__)
    return _error(request, "The request body cannot be read; send JSON, or multipart/form-data with its boundary.",
                  "bad_request", 400)


@api.exception_handler(Exception)
def _server_error(request, exc):
    # Logged with its traceback (PII redacted by the log filter); the client learns nothing of it.
    logger.error("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return _error(request, "Internal error; it has been logged.", "server_error", 500)
