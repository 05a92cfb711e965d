"""The API root: django-ninja under /api/v1/, bearer tokens, JSON errors {"detail", "code"}."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from gonghui.core.api import BearerAuth, router as auth_router
from gonghui.members.api import router as members_router
from gonghui.orgs.api import router as orgs_router
from gonghui.orgs.selectors import OrgNotFound, OrgOutOfScope

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
api.add_router("/members", members_router)


def _error(request, detail, code: str, status: int):
    return api.create_response(request, {"detail": detail, "code": code}, status=status)


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc):
    return _error(request, exc.errors, "invalid", 422)


@api.exception_handler(ValidationError)
def _django_invalid(request, exc):
    detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return _error(request, detail, "invalid", 422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(request, "Authentication required: send Authorization: Bearer <token>.", "unauthenticated", 401)


@api.exception_handler(OrgNotFound)
def _org_not_found(request, exc):
    return _error(request, f"No union with code {exc}.", "not_found", 404)


@api.exception_handler(OrgOutOfScope)
def _org_forbidden(request, exc):
    return _error(request, "This union is outside your organisation's subtree.", "forbidden", 403)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, str(exc) or "Not allowed.", "forbidden", 403)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, "Not found.", "not_found", 404)


@api.exception_handler(HttpError)
def _http_error(request, exc):
    codes = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 429: "throttled"}
    return _error(request, str(exc), codes.get(exc.status_code, "error"), exc.status_code)
