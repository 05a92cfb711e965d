from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import patch_cache_control

from gonghui.core.audit import request_ip

API_PREFIX = "/api/"

# The machine code of an error answer, by status; the API's own handlers use the same words.
ERROR_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "throttled",
    500: "server_error",
}
ERROR_DETAILS = {
    400: "Bad request.",
    401: "Authentication required: send Authorization: Bearer <token>.",
    403: "Not allowed.",
    404: "Not found.",
    405: "This method is not allowed here.",
    429: "Too many failed logins; try again later.",
    500: "Internal error; it has been logged.",
}


def client_ip(request) -> str | None:
    """Where a request comes from, for the audit log and login throttling.

    Behind our own proxy (BEHIND_PROXY) REMOTE_ADDR is the proxy; the last X-Forwarded-For hop is
    the address it saw. Earlier hops are whatever the client claimed, so they are never used.
    """
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR")


class AuditContextMiddleware:
    """Makes the client address available to audit.record() without services reading request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            request_ip.reset(token)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every API answer and on every page a logged-in user gets.

    They carry personal data (names, masked ID numbers, figures of a union, tokens, exports), and
    neither the browser's disk cache nor a proxy on the way may keep a copy. Public pages and
    static files stay cacheable. Sits at the top of MIDDLEWARE, so it also sees the JSON errors
    made below it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX) or _logged_in(request):
            patch_cache_control(response, no_store=True)
        return response


def _logged_in(request) -> bool:
    # No user attribute: the answer came before the authentication middleware (a static file).
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


class ApiJsonErrorsMiddleware:
    """Every error under /api/ is JSON ``{"detail", "code"}``, whoever produced it.

    The API's exception handlers answer for the views; this catches the rest: unknown paths
    (Django's 404 page), wrong methods (405), the login lock-out page of django-axes (429), a
    CSRF or host refusal, and the HTML 500 page — which would otherwise leak a traceback in DEBUG.
    Sits near the top of MIDDLEWARE so that it sees those responses.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX) and _has_nul(request):
            # PostgreSQL cannot take a NUL character in text: refuse it here rather than as a 500 there.
            return JsonResponse({"detail": "The request contains a NUL character.", "code": "bad_request"}, status=400)
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith(API_PREFIX)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            status = response.status_code
            json_response = JsonResponse(
                {"detail": ERROR_DETAILS.get(status, "Error."), "code": ERROR_CODES.get(status, "error")},
                status=status,
            )
            for header in ("Allow", "WWW-Authenticate", "Retry-After"):
                if header in response:
                    json_response[header] = response[header]
            return json_response
        return response



def _has_nul(request) -> bool:
    return "\x00" in request.path or any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
    )
