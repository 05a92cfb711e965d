"""The workbench frame: login, home ("数读" of the current union) and the statistics page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from gonghui.core.dates import end_of_last_year
from gonghui.core.scope import Perm, is_staff_user
from gonghui.members.figures import subtree_stats
from gonghui.staff.charts import activity_cards, kpi_cards, stats_charts
from gonghui.stats.activity import period_figures, stock_figures
from gonghui.workbench import home as home_parts
from gonghui.workbench.access import (
    can,
    current_org,
    get_org_or_403,
    render_staff,
    set_current_org,
    staff_required,
)


class StaffLoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    next_page = reverse_lazy("staff:home")


class StaffLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("staff:login")


def home(request):
    user = request.user
    if user.is_authenticated and not is_staff_user(user):
        # Without a union role, a module may still be theirs (mediators and lawyers: their room's cases).
        landing = home_parts.landing_for(user)
        if landing:
            return redirect(landing)
    return _union_home(request)


@staff_required
def _union_home(request):
    if request.GET.get("org"):
        org = get_org_or_403(request, request.GET["org"])
        set_current_org(request, org)
    else:
        org = current_org(request)
    context = {"org": org}
    if org is not None:
        stats = subtree_stats(org=org)
        previous = subtree_stats(org=org, on=end_of_last_year(timezone.localdate()))
        context.update(kpis=kpi_cards(stats, previous), charts=stats_charts(stats)[:2], stats=stats,
                       may_manage=can(request, Perm.MANAGE, org.path), home_cards=home_parts.cards(request, org))
    return render_staff(request, "staff/home.html", context, org=org, section="home")


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StatsFilter(forms.Form):
    on = forms.DateField(label=_("As of"), required=False, widget=_date_input())
    start = forms.DateField(label=_("Work from"), required=False, widget=_date_input())
    end = forms.DateField(label=pgettext_lazy("period", "to"), required=False, widget=_date_input())

    def clean_on(self):
        day = self.cleaned_data["on"]
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("Choose a day that is not in the future."))
        return day

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end of the period must not be before its start."))
        return data

    def period(self) -> tuple[dt.date, dt.date]:
        """The period asked for; this year up to today when left out (or invalid)."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return data.get("start") or today.replace(month=1, day=1), data.get("end") or today


@staff_required
def stats(request):
    org = get_org_or_403(request, request.GET["org"]) if request.GET.get("org") else current_org(request)
    form = StatsFilter(request.GET or None)
    on = form.cleaned_data["on"] if form.is_valid() else None
    start, end = form.period()
    context = {"org": org, "form": form, "start": start, "end": end}
    if org is not None:
        figures = subtree_stats(org=org, on=on)
        work = {**period_figures(org.path, start, end), **stock_figures(org.path, on or timezone.localdate())}
        context.update(stats=figures, kpis=kpi_cards(figures), charts=stats_charts(figures),
                       work_kpis=activity_cards(work))
    return render_staff(request, "staff/stats.html", context, org=org, section="stats")
