"""The Chinese catalogues: a word that means two things has a context, catalogues that Django merges
agree, and the committed .mo files hold what their .po files say."""

from __future__ import annotations

import gettext
import re
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

import gonghui

ROOT = Path(gonghui.__file__).parent
CATALOGUES = sorted(ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))


def _entries(po: Path) -> dict[tuple[str, str], str]:
    """(context, msgid) → msgstr of the single-line entries of a catalogue (the files are --no-wrap)."""
    entries = {}
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        if block.lstrip().startswith("#~"):
            continue
        msgid = re.search(r'^msgid "(.*)"$', block, re.M)
        msgstr = re.search(r'^msgstr "(.*)"$', block, re.M)
        if msgid and msgstr and msgid[1]:
            context = re.search(r'^msgctxt "(.*)"$', block, re.M)
            entries[(context[1] if context else "", msgid[1])] = msgstr[1]
    return entries


def test_there_are_catalogues():
    assert len(CATALOGUES) >= 3


def test_a_message_in_several_catalogues_has_one_translation():
    # Django merges the catalogues and one of them wins: two translations of one message mean a page
    # shows the other module's word (a dispute's 请求事项 read as a mutual-aid 互助金申请).
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for po in CATALOGUES:
        for key, text in _entries(po).items():
            seen.setdefault(key, {})[str(po.relative_to(ROOT))] = text
    clashes = {key: where for key, where in seen.items() if len(set(where.values())) > 1}
    assert not clashes


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_committed_mo_file_holds_the_po_file(po, tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(po)], check=True)
    with compiled.open("rb") as fresh, po.with_suffix(".mo").open("rb") as committed:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(fresh)._catalog


# Django's own words that the project words differently on purpose (the same meaning).
REWORDED = {"Search", "Log out", "Administration", "Changed:", "Page not found", "Description"}


def test_the_catalogues_do_not_change_what_djangos_own_words_mean():
    # The project's catalogues come before Django's: a plain "group" (八大群体 所属群体) renamed
    # auth's groups in /admin/, a person's "name" 姓名 renamed every name there.
    import django

    django_words: dict[str, str] = {}
    base = Path(django.__file__).parent
    for mo in [base / "conf/locale/zh_Hans/LC_MESSAGES/django.mo",
               *base.glob("contrib/*/locale/zh_Hans/LC_MESSAGES/django.mo")]:
        with mo.open("rb") as handle:
            for key, text in gettext.GNUTranslations(handle)._catalog.items():
                django_words.setdefault(key[0] if isinstance(key, tuple) else key, text)
    changed = {}
    for po in CATALOGUES:
        for (context, msgid), text in _entries(po).items():
            if not context and msgid in django_words and django_words[msgid] != text and msgid not in REWORDED:
                changed[msgid] = (text, django_words[msgid])
    assert not changed
    from django.contrib.auth.models import Group

    with translation.override("zh-hans"):
        assert (str(Group._meta.verbose_name), str(Group._meta.get_field("name").verbose_name)) == ("组", "名称")


def test_words_that_mean_two_things_are_translated_by_their_meaning(db):
    from gonghui.disputes.models import Claim as DisputeClaim, MediationRoom
    from gonghui.members.models import Member, MembershipPeriod, Transfer
    from gonghui.mutualaid.models import Claim as AidClaim, Plan
    from gonghui.orgs.models import Org
    from gonghui.staff.views import StatsFilter

    def label(model, field):
        return str(model._meta.get_field(field).verbose_name)

    with translation.override("zh-hans"):
        assert str(StatsFilter().fields["end"].label) == "至"  # the end of a period, not 转入工会
        assert (label(Transfer, "from_org"), label(Transfer, "to_org")) == ("转出工会", "转入工会")
        assert label(MembershipPeriod, "started_on") == "起始日期"
        assert label(Member, "name") == "姓名"
        assert label(Org, "name") == label(MediationRoom, "name") == label(Plan, "name") == "名称"
        assert str(DisputeClaim._meta.verbose_name) == "请求事项"
        assert str(AidClaim._meta.verbose_name) == "互助金申请"


def test_the_statistics_period_reads_from_to(client, yz_cadre):
    client.force_login(yz_cadre)
    html = client.get("/staff/stats/?org=YZ").content.decode()
    assert re.search(r'<label[^>]*for="id_end"[^>]*>至</label>', html)
    assert "转入工会" not in html
