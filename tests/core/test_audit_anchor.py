"""The audit chain anchored outside the database: a cut from the end (entries deleted and the head
set back) and a chain recomputed after an edit both show, against signed checkpoints in a file."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from gonghui.core import audit
from gonghui.core.checks import audit_anchor_check
from gonghui.core.models import AuditEntry, AuditHead
from tests.core.test_audit import drop_append_only_trigger, verify_output

FIELDS = ("seq", "at", "actor_id", "actor_name", "action", "object_type", "object_id", "org_path", "ip", "data")


@pytest.fixture
def anchored(tree, nb_cadre, django_capture_on_commit_callbacks):
    """Five committed entries, each anchored as it committed."""
    for i in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            audit.record(actor=nb_cadre, action="test.write", obj=tree.yz, org_path=tree.yz.path, data={"n": i})
    return list(AuditEntry.objects.order_by("seq"))


def anchor_lines() -> list[str]:
    return Path(audit.anchor_path()).read_text().splitlines()


def cut_the_end(keep: int) -> None:
    """What someone with the database does: delete the newest entries, set the head back."""
    drop_append_only_trigger()
    kept = AuditEntry.objects.get(seq=keep)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq > %s", [keep])
    AuditHead.objects.filter(pk=1).update(seq=keep, hash=kept.hash)


def rewrite_from(seq: int, data: dict) -> None:
    """Edit one entry and recompute every hash from there, and the head: the chain holds again."""
    drop_append_only_trigger()
    prev = AuditEntry.objects.get(seq=seq - 1).hash if seq > 1 else audit.GENESIS
    for entry in AuditEntry.objects.filter(seq__gte=seq).order_by("seq"):
        fields = {name: getattr(entry, name) for name in FIELDS}
        if entry.seq == seq:
            fields["data"] = data
        digest = audit._entry_hash(prev, **fields)
        AuditEntry.objects.filter(pk=entry.pk).update(data=fields["data"], prev_hash=prev, hash=digest)
        prev = digest
    AuditHead.objects.filter(pk=1).update(hash=prev)


def test_every_committed_entry_is_anchored_with_a_signed_checkpoint(anchored):
    lines = anchor_lines()
    assert [line.split()[1] for line in lines] == ["1", "2", "3", "4", "5"]
    assert lines[-1].split()[2] == anchored[-1].hash
    code, output = verify_output()
    assert code == 0 and "anchored outside the database up to the last entry" in output


def test_a_rolled_back_write_leaves_no_checkpoint(anchored, nb_cadre, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ZeroDivisionError):
        with transaction.atomic():
            audit.record(actor=nb_cadre, action="test.rolled_back")
            1 / 0  # noqa: B018
    assert len(anchor_lines()) == 5
    assert list(audit.verify()) == []


def test_a_cut_from_the_end_is_detected(anchored):
    cut_the_end(keep=3)
    assert AuditEntry.objects.count() == 3  # the chain alone is whole again
    brk = next(audit.verify())
    assert brk.seq == 4 and "missing at the end" in brk.reason and "cut" in brk.reason
    code, message = verify_output()
    assert code == 1 and message.startswith("audit log broken at entry 4: entries 4…5 are missing at the end")
    assert "Traceback" not in message


def test_a_chain_recomputed_after_an_edit_is_detected(anchored):
    rewrite_from(3, {"n": 99})
    brk = next(audit.verify())
    assert brk.seq == 3 and "rewritten" in brk.reason and "2 later checkpoints" in brk.reason
    assert verify_output()[0] == 1


def test_a_checkpoint_not_signed_with_the_key_is_reported(anchored, settings):
    settings.AUDIT_ANCHOR_KEY = "another-key-" + "x" * 32
    breaks = list(audit.verify())
    assert len(breaks) == 5 and all("not signed with AUDIT_ANCHOR_KEY" in b.reason for b in breaks)


def test_a_forged_checkpoint_line_is_reported(anchored):
    with open(audit.anchor_path(), "a") as anchors:
        anchors.write(f"v1 9 {'0' * 64} 2030-01-01T00:00:00+08:00 {'0' * 64}\n")
    brk = next(audit.verify())
    assert brk.seq == 9 and "not signed" in brk.reason


def test_only_a_torn_last_line_is_forgiven(anchored):
    with open(audit.anchor_path(), "a") as anchors:
        anchors.write("v1 6 abc")  # a crash in the middle of writing
    assert list(audit.verify()) == []
    with open(audit.anchor_path(), "a") as anchors:
        anchors.write("\nv1 nonsense\n" + Path(audit.anchor_path()).read_text().splitlines()[0] + "\n")
    assert any("is not a checkpoint" in b.reason for b in audit.verify())


def test_the_anchor_command_checkpoints_the_head_of_an_older_log(tree, nb_cadre):
    for i in range(3):
        audit.record(actor=nb_cadre, action="test.write", data={"n": i})  # not committed: no checkpoint
    assert "none of them is anchored" in verify_output()[1]
    out = io.StringIO()
    call_command("audit", "anchor", stdout=out)
    assert "checkpoint of entry 3" in out.getvalue()
    assert "up to the last entry" in verify_output()[1]
    cut_the_end(keep=2)
    assert next(audit.verify()).seq == 3


def test_a_checkpoint_that_cannot_be_written_does_not_fail_the_write(tree, nb_cadre, settings, tmp_path, caplog,
                                                                     django_capture_on_commit_callbacks):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    settings.AUDIT_ANCHOR_FILE = str(blocked / "anchors.log")  # its folder is a file
    with django_capture_on_commit_callbacks(execute=True):
        audit.record(actor=nb_cadre, action="test.write")
    assert AuditEntry.objects.filter(action="test.write").exists()
    assert "Could not write the audit checkpoint of entry 1" in caplog.text


def test_check_deploy_requires_an_anchor_key_and_a_writable_folder(settings, tmp_path):
    settings.DEBUG, settings.AUDIT_ANCHOR_DEV_KEY_ALLOWED = False, False
    settings.AUDIT_ANCHOR_KEY = ""
    assert [e.id for e in audit_anchor_check()] == ["gonghui.E004"]
    settings.AUDIT_ANCHOR_DEV_KEY_ALLOWED = True  # a development key derived from SECRET_KEY
    assert "not set" in audit_anchor_check()[0].msg
    settings.AUDIT_ANCHOR_KEY = "short"
    assert "at least 32 characters" in audit_anchor_check()[0].msg
    settings.AUDIT_ANCHOR_KEY = "k" * 40
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "missing" / "anchors.log")
    assert "cannot be written" in audit_anchor_check()[0].msg
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "anchors.log")
    assert audit_anchor_check() == []
    settings.DEBUG = True
    settings.AUDIT_ANCHOR_KEY = ""
    assert audit_anchor_check() == []
