import datetime as dt
import re
from typing import Annotated, Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Paginator
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer
from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

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


PAGE_HELP = "page number, from 1; a page past the last is a 422 naming the last"

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _digits_between(low: str, high: str) -> str:
    """A regular expression matching the numbers from ``low`` to ``high`` (same number of digits)."""
    if low == high:
        return low
    rest = len(low) - 1
    if rest == 0:
        return f"[{low}-{high}]"
    if low[1:] == "0" * rest and high[1:] == "9" * rest:
        return f"[{low[0]}-{high[0]}]" + "[0-9]" * rest
    if low[0] == high[0]:
        return low[0] + _digits_between(low[1:], high[1:])
    parts = [low[0] + "(" + _digits_between(low[1:], "9" * rest) + ")"]
    if int(high[0]) - int(low[0]) > 1:
        parts.append(f"[{int(low[0]) + 1}-{int(high[0]) - 1}]" + "[0-9]" * rest)
    parts.append(high[0] + "(" + _digits_between("0" * rest, high[1:]) + ")")
    return "(" + "|".join(parts) + ")"


def day_between(earliest: dt.date, latest: dt.date):
    """A day in the API (query or body): written ``YYYY-MM-DD`` and nothing else (pydantic alone also
    takes ``0`` as 1970-01-01, or a midnight datetime), from ``earliest`` to ``latest``; the spec
    states both with a pattern, so a client built from it sends only what the server accepts."""
    if (earliest.month, earliest.day, latest.month, latest.day) != (1, 1, 12, 31):
        raise ValueError("a day range runs from 1 January to 31 December")
    years = _digits_between(f"{earliest.year:04d}", f"{latest.year:04d}")
    span = f"from {earliest.isoformat()} to {latest.isoformat()}"

    def parse(value: Any) -> dt.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            day = value
        elif isinstance(value, str) and _ISO_DAY.fullmatch(value):
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                raise PydanticCustomError("date_parsing", "Input should be a day of the calendar, YYYY-MM-DD.") from None
        else:
            raise PydanticCustomError("date_type", "Input should be a day written YYYY-MM-DD.")
        if not earliest <= day <= latest:
            raise PydanticCustomError("date_range", f"Input should be a day {span}.")
        return day

    return Annotated[dt.date, PlainValidator(parse), WithJsonSchema({
        "type": "string", "format": "date", "description": f"a day, YYYY-MM-DD, {span}",
        "pattern": f"^{years}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
    })]


# The days the API takes where a module sets no narrower range.
Day = day_between(dt.date(1900, 1, 1), dt.date(2999, 12, 31))


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
