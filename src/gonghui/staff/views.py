"""The workbench frame: login, home ("数读" of the current union) and the statistics page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gonghui.core.scope import Perm
from gonghui.staff.access import (
    can,
    current_org,
    get_org_or_403,
    render_staff,
    set_current_org,
    staff_required,
)
from gonghui.staff.charts import kpi_cards, stats_charts
from gonghui.stats.selectors import subtree_stats


class StaffLoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    next_page = reverse_lazy("staff:home")


class StaffLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("staff:login")


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@staff_required
def home(request):
    if request.GET.get("org"):
        org = get_org_or_403(request, request.GET["org"])
        set_current_org(request, org)
    else:
        org = current_org(request)
    context = {"org": org}
    if org is not None:
        stats = subtree_stats(org=org)
        previous = subtree_stats(org=org, on=_year_before(timezone.localdate()))
        context.update(kpis=kpi_cards(stats, previous), charts=stats_charts(stats)[:2], stats=stats,
                       may_manage=can(request, Perm.MANAGE, org.path))
    return render_staff(request, "staff/home.html", context, org=org, section="home")


class StatsFilter(forms.Form):
    on = forms.DateField(label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean_on(self):
        day = self.cleaned_data["on"]
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("Choose a day that is not in the future."))
        return day


@staff_required
def stats(request):
    org = get_org_or_403(request, request.GET["org"]) if request.GET.get("org") else current_org(request)
    form = StatsFilter(request.GET or None)
    on = form.cleaned_data["on"] if form.is_valid() else None
    context = {"org": org, "form": form}
    if org is not None:
        figures = subtree_stats(org=org, on=on)
        context.update(stats=figures, kpis=kpi_cards(figures), charts=stats_charts(figures))
    return render_staff(request, "staff/stats.html", context, org=org, section="stats")
