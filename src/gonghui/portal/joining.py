"""Member pages for joining online (/join/) and logging in with an SMS code (/login/sms/).

The SMS step is the same on both pages: the worker enters a mobile number, gets a code, types
it. Between the two requests the mobile is kept in the session encrypted (the session table is
storage too), and only its masked form is shown. A verified code logs the worker into the
account of that mobile — the first one makes it (``account_for_verified_phone``).
"""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from gonghui.core import pii
from gonghui.core.ids import mask_phone
from gonghui.core.services import account_for_verified_phone, account_phone_of
from gonghui.core.sms import sms_code_check, sms_code_send
from gonghui.members.models import JoinApplication
from gonghui.members.selectors import (
    applications_of,
    join_district_get,
    join_districts,
    join_of_applicant,
    join_suggestions,
    join_target_get,
    join_union_search,
    member_of_user,
    transfer_of_requester,
)
from gonghui.members.services import join_apply, join_cancel, transfer_cancel
from gonghui.portal.forms import CodeForm, JoinForm, PhoneForm

SESSION_KEY = "gonghui_sms_{purpose}"
BACKEND = "django.contrib.auth.backends.ModelBackend"


# --- the SMS step -----------------------------------------------------------------------------


def _remember(request, purpose: str, phone: str) -> None:
    protected = pii.protect("phone", phone, mask_phone(phone))
    request.session[SESSION_KEY.format(purpose=purpose)] = {
        "hash": protected.hash, "cipher": base64.b64encode(protected.cipher).decode(), "key": protected.key_id,
        "masked": protected.masked,
    }


def _remembered(request, purpose: str) -> dict | None:
    return request.session.get(SESSION_KEY.format(purpose=purpose))


def _phone(stored: dict) -> str:
    return pii.decrypt(base64.b64decode(stored["cipher"]), key_id=stored["key"], bound_to=stored["hash"])


def _forget(request, purpose: str) -> None:
    request.session.pop(SESSION_KEY.format(purpose=purpose), None)


def _sms_step(request, purpose: str, on_verified):
    """Run one POST of the SMS step; returns (response or None, phone form, code form)."""
    phone_form, code_form = PhoneForm(), CodeForm()
    stored = _remembered(request, purpose)
    action = request.POST.get("action")
    if action == "change":
        _forget(request, purpose)
        return redirect(request.get_full_path()), phone_form, code_form
    if action == "send" or (action == "resend" and stored):
        phone_form = PhoneForm(request.POST) if action == "send" else PhoneForm({"phone": _phone(stored)})
        if phone_form.is_valid():
            try:
                phone = sms_code_send(phone=phone_form.cleaned_data["phone"])
            except ValidationError as exc:
                if action == "resend":
                    messages.error(request, " ".join(exc.messages))
                else:
                    phone_form.add_error("phone", exc)
            else:
                _remember(request, purpose, phone)
                messages.success(request, _("A code was texted to %(phone)s; it is valid for 5 minutes.")
                                 % {"phone": mask_phone(phone)})
                return redirect(request.get_full_path()), phone_form, code_form
    elif action == "verify" and stored:
        code_form = CodeForm(request.POST)
        if code_form.is_valid():
            try:
                phone = sms_code_check(phone=_phone(stored), code=code_form.cleaned_data["code"])
                response = on_verified(phone)
            except ValidationError as exc:
                code_form.add_error("code", exc)
            else:
                _forget(request, purpose)
                return response, phone_form, code_form
    return None, phone_form, code_form


def _sms_context(request, purpose: str, phone_form, code_form) -> dict:
    stored = _remembered(request, purpose)
    return {"sms_masked": stored["masked"] if stored else "", "phone_form": phone_form, "code_form": code_form}


def _sign_in(request, phone: str):
    user, _created = account_for_verified_phone(phone=phone, user=request.user)
    if not request.user.is_authenticated or request.user.pk != user.pk:
        login(request, user, backend=BACKEND)
    return user


# --- logging in with an SMS code ----------------------------------------------------------------


@never_cache
@sensitive_post_parameters("phone", "code")
def login_sms(request):
    """/login/sms/: a member logs in with mobile and code, besides the password login at /login/."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = ""

    def verified(phone):
        _sign_in(request, phone)
        return redirect(next_url or "portal:home")

    response, phone_form, code_form = (None, PhoneForm(), CodeForm())
    if request.method == "POST":
        response, phone_form, code_form = _sms_step(request, "login", verified)
        if response is not None:
            return response
    context = {"tab": "me", "next": next_url, **_sms_context(request, "login", phone_form, code_form)}
    return render(request, "portal/login_sms.html", context)


# --- joining --------------------------------------------------------------------------------------


def _union_choices(*, district_code: str, category: str, text: str, selected: str = "") -> dict:
    district = join_district_get(code=district_code)
    if text.strip():
        unions, mode = join_union_search(text=text, district=district), "search"
    elif district is not None:
        unions, mode = join_suggestions(district=district, category=category), "suggest"
    else:
        unions, mode = [], "start"
    chosen = join_target_get(code=selected) if selected else None
    if chosen is not None and chosen.pk not in {u.pk for u in unions}:
        unions = [chosen, *unions]
    return {"unions": unions, "mode": mode, "selected": selected, "district": district, "text": text.strip()}


@never_cache
@sensitive_post_parameters("phone", "code", "id_number")
def join(request):
    """/join/: step 1 proves the mobile (SMS code), step 2 takes the real-name details and the union.

    A logged-in member skips step 1: the union knows them already (a change of union)."""
    member = member_of_user(user=request.user)
    if account_phone_of(user=request.user) is None and member is None:
        def verified(phone):
            _sign_in(request, phone)
            return redirect("portal:join")

        response, phone_form, code_form = None, PhoneForm(), CodeForm()
        if request.method == "POST":
            response, phone_form, code_form = _sms_step(request, "join", verified)
            if response is not None:
                return response
        context = {"tab": "home", "step": 1, **_sms_context(request, "join", phone_form, code_form)}
        return render(request, "portal/join.html", context)

    districts = join_districts()
    data = request.POST if request.method == "POST" else None
    if data is not None and data.get("action") == "search":  # without JavaScript: show the unions found
        form, data = JoinForm(initial=data.dict(), districts=districts, member=member), None
        source = request.POST
    else:
        form = JoinForm(data, districts=districts, member=member)
        source = data or request.GET
    if data is not None and form.is_valid():
        org = join_target_get(code=form.cleaned_data["org"])
        if org is None:
            form.add_error("org", _("Choose the union to join from the list."))
        else:
            try:
                result = join_apply(applicant=request.user, org=org, **form.service_fields())
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if isinstance(result, JoinApplication):
                    messages.success(request, _("Your application was sent to %(org)s. You will see here when it "
                                                "has been decided.") % {"org": org.name})
                else:
                    messages.info(request, _("You are already registered as a union member, so your application "
                                             "became a request to move your membership to %(org)s.")
                                  % {"org": org.name})
                return redirect("portal:services")
    context = {
        "tab": "home", "step": 2, "form": form, "member": member,
        "phone": account_phone_of(user=request.user),
        "waiting": [a for a in applications_of(user=request.user) if a.status == "pending"],
        **_union_choices(district_code=source.get("district", ""), category=source.get("category", ""),
                         text=source.get("q", ""), selected=source.get("org", "")),
    }
    return render(request, "portal/join.html", context)


@require_GET
def join_unions(request):
    """The union choices (htmx partial): search results, or suggestions for the district and trade."""
    context = _union_choices(district_code=request.GET.get("district", ""), category=request.GET.get("category", ""),
                             text=request.GET.get("q", "")[:50], selected=request.GET.get("org", ""))
    return render(request, "portal/_union_choices.html", context)


@require_POST
@login_required
def withdraw(request, kind: str, pk: int):
    """办事: the worker withdraws a waiting application (or the transfer it became)."""
    if kind == "join":
        item = join_of_applicant(user=request.user, pk=pk)
        cancel = (lambda: join_cancel(actor=request.user, application=item))
    else:
        item = transfer_of_requester(user=request.user, pk=pk)
        cancel = (lambda: transfer_cancel(actor=request.user, transfer=item))
    if item is None:
        raise Http404("No such application of yours.")
    try:
        cancel()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your application was withdrawn."))
    return redirect(reverse("portal:services"))
