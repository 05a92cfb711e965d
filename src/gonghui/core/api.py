from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Paginator
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer

from gonghui.core.services import api_token_get, api_token_issue, api_token_revoke


class ErrorOut(Schema):
    """Every error answer of the API."""

    detail: Any = Field(..., description="what is wrong: a sentence, or a list of field errors")
    code: str = Field(..., description="machine code: unauthenticated, forbidden, not_found, invalid, throttled…")


# The error answers every authenticated endpoint may give, for the OpenAPI description.
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def paginate(queryset, number: int) -> dict:
    """One page of an API list: ``{count, page, pages, results}``; a page past the end is a 422."""
    paginator = Paginator(queryset, settings.PAGE_SIZE)
    try:
        page = paginator.page(number)
    except EmptyPage:
        raise ValidationError(
            {"page": f"There is no page {number}; the last page is {paginator.num_pages}."}) from None
    return {"count": paginator.count, "page": page.number, "pages": paginator.num_pages,
            "results": list(page.object_list)}


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        if len(token) > 200:  # ours are 46 characters; do not hash megabytes
            return None
        found = api_token_get(token)
        if found is None:
            return None
        request.user, request.api_token = found.user, found
        return found.user


router = Router(tags=["auth"])


NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot compare text holding a NUL character


class TokenIn(Schema):
    username: str = Field(..., max_length=150, pattern=NO_NUL)
    password: str = Field(..., max_length=4096, pattern=NO_NUL)


class TokenOut(Schema):
    token: str


@router.post("/token", auth=None,
             response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 415: ErrorOut, 422: ErrorOut, 429: ErrorOut},
             summary="Exchange a username and password for a token")
def token(request, payload: TokenIn):
    if request.content_type != "application/json":
        # django-axes reads request.POST while it counts a failure; a broken multipart body would
        # make that a 500. The contract is JSON anyway.
        raise HttpError(415, "Send the username and password as JSON (Content-Type: application/json).")
    # authenticate() with the request lets django-axes count failures and lock out guessing.
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        # Answer in JSON here; left set, the flag makes AxesMiddleware swap in the HTML lock-out page.
        request.axes_locked_out = False
        raise HttpError(429, "Too many failed logins; try again later.")
    if user is None:
        raise HttpError(401, "Wrong username or password.")
    # A token is a login: the signal lets django-axes clear the failure count (else earlier typos add
    # up to a lock-out) and records last_login.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return {"token": api_token_issue(user=user)}


@router.delete("/token", response={204: None, 401: ErrorOut}, summary="Revoke the token sent with this request")
def token_revoke(request):
    """Log out of the API: the bearer token of this request stops working at once."""
    api_token_revoke(token=request.api_token)
    return Status(204, None)
