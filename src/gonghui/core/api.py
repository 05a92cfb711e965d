from django.contrib.auth import authenticate
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer

from gonghui.core.services import api_token_issue, api_token_user


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str


@router.post("/token", auth=None, response=TokenOut, summary="Exchange a username and password for a token")
def token(request, payload: TokenIn):
    # authenticate() with the request lets django-axes count failures and lock out guessing.
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        raise HttpError(429, "Too many failed logins; try again later.")
    if user is None:
        raise HttpError(401, "Wrong username or password.")
    return {"token": api_token_issue(user=user)}
