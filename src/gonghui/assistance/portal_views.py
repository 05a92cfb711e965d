"""Member pages of hardship help (甬工惠), under /hardship/: my file and where it stands, what I
received, the self-test, and applying with the self-test's figures filled in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from gonghui.assistance import selectors, services, texts
from gonghui.assistance.forms import ApplyForm, SelfTestForm
from gonghui.assistance.models import FileStatus, Grade
from gonghui.core.scope import is_staff_user
from gonghui.members.selectors import member_of_user

TAB = "home"


def _context(request, **extra) -> dict:
    user = request.user
    return {"tab": TAB, "is_cadre": user.is_authenticated and is_staff_user(user), **extra}


def next_step(f) -> str:
    """Where the file stands and what comes next, in plain words."""
    if f.status == FileStatus.SUBMITTED:
        return _("Your union is checking your application and the unit's certificate.")
    if f.status == FileStatus.NOTICE:
        return _("Your file is in public notice until %(day)s (your name is masked); then the union above "
                 "decides.") % {"day": f.notice_end.isoformat()}
    if f.status == FileStatus.ACTIVE:
        return _("Your family is filed. The union visits you and reviews the file by %(day)s.") % {
            "day": f.review_due.isoformat() if f.review_due else "—"}
    if f.status == FileStatus.REFUSED:
        return _("Refused: %(reason)s") % {"reason": f.close_reason}
    if f.status in (FileStatus.LIFTED_OUT, FileStatus.RELIEVED):
        return f.close_reason
    return ""


@login_required
def cover(request):
    member = member_of_user(user=request.user)
    files = list(selectors.my_files(request.user)[:10])
    context = _context(request, member=member, files=[(f, next_step(f)) for f in files],
                       grants=list(selectors.my_grants(request.user)[:20]),
                       may_apply=member is not None and not any(f.status in ("submitted", "notice", "active", "paused")
                                                                for f in files))
    return render(request, "assistance/portal/cover.html", context)


@login_required
def self_test(request):
    member = member_of_user(user=request.user)
    form = SelfTestForm(request.GET or None)
    result = None
    if form.is_bound and form.is_valid():
        try:
            result = services.self_test(org_path=member.org_path if member else "", **{
                k: v for k, v in form.cleaned_data.items() if v is not None})
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
    context = _context(request, form=form, result=result, working=texts.explain(result.as_json()) if result else [],
                       member=member, grade_label=Grade(result.grade).label if result else "")
    return render(request, "assistance/portal/self_test.html", context)


@sensitive_post_parameters()
@login_required
def apply(request):
    member = member_of_user(user=request.user)
    if member is None:
        return redirect("portal:assistance:cover")
    initial = {"income": request.GET.get("income")} if request.GET.get("income") else {}
    form = ApplyForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["document_kind"]
        try:
            services.file_apply(actor=request.user, member=member, cause=form.cleaned_data["cause"],
                                documents=[(kind, d) for d in form.cleaned_data["documents"]], **form.figures())
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                form.add_error(None, " ".join(m for ms in exc.message_dict.values() for m in ms))
            else:
                form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Your application was sent to your union."))
            return redirect("portal:assistance:cover")
    return render(request, "assistance/portal/apply.html", _context(request, form=form, member=member),
                  status=422 if form.errors else 200)
