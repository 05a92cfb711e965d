"""gonghui import-members FILE [--org CODE] [--dry-run] [--valid-only] [--errors-xlsx OUT] [--as USER]"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from gonghui.members.exports import import_errors_export
from gonghui.members.imports import roster_import
from gonghui.members.roster import RosterFormatError
from gonghui.orgs.models import Org

TRANSFER_LINES_SHOWN = 50


class Command(BaseCommand):
    help = "Import a roster (CSV or XLSX). Exit 0 when imported, 1 when the file is refused (nothing written)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--org", help="union code for rows without a 工会代码 column/cell")
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
        parser.add_argument("--valid-only", action="store_true", help="import the valid rows, report the bad ones")
        parser.add_argument("--errors-xlsx", help="also write the bad rows to this workbook")
        parser.add_argument("--as", dest="username", help="act as this user (default: the first superuser)")

    def handle(self, *args, file, org, dry_run, valid_only, errors_xlsx, username, **options):
        actor = self._actor(username)
        target = None
        if org:
            target = Org.objects.filter(code=org.strip().upper()).first()
            if target is None:
                raise CommandError(f"没有工会代码为 {org} 的工会 (no union with code {org}).")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件 {file} (file not found).")
        with path.open("rb") as stream:
            try:
                result = roster_import(actor=actor, stream=stream, filename=path.name, org=target, dry_run=dry_run,
                                       valid_only=valid_only, progress=self._progress)
            except RosterFormatError as exc:
                self.stderr.write(f"文件被拒绝 (file refused): {exc}")
                raise SystemExit(1) from None
            except PermissionDenied:
                raise CommandError(f"用户 {actor.username} 无权导入到该工会 "
                                   f"({actor.username} may not import into this union).") from None
        for error in result.errors.kept:
            self.stderr.write(str(error))
        if result.errors.total > len(result.errors.kept):
            self.stderr.write(f"… 另有 {result.errors.total - len(result.errors.kept)} 处错误未列出")
        if errors_xlsx and result.errors:
            import_errors_export(actor=actor, errors=result.errors.kept, target=errors_xlsx,
                                 org_path=target.path if target else "")
            self.stderr.write(f"错误清单已写入 {errors_xlsx}")
        self.stdout.write(self._summary(result))
        if result.transfer_lines and not result.refused:
            # (the import lists at most MAX_LISTED_TRANSFERS lines: no count of the rest is known here)
            lines = "、".join(str(n) for n in result.transfer_lines[:TRANSFER_LINES_SHOWN])
            more = len(result.transfer_lines) > TRANSFER_LINES_SHOWN
            label = "将生成转会申请的行" if result.dry_run else "转会申请所在行"
            self.stdout.write(f"{label}：{lines}" + (" 等" if more else ""))
        if result.refused:
            raise SystemExit(1)

    def _actor(self, username):
        users = get_user_model().objects
        actor = users.filter(username=username).first() if username else users.filter(is_superuser=True).first()
        if actor is None:
            raise CommandError("没有可用的操作用户：用 --as 指定一个有权限的用户 (no acting user; pass --as).")
        return actor

    def _progress(self, rows):
        self.stderr.write(f"  … {rows:,} 行", ending="\r")

    def _summary(self, r):
        bad = len(r.errors.bad_lines)
        if r.refused:
            return (f"文件被拒绝，未写入任何数据：{r.rows:,} 行中 {bad:,} 行有错误。"
                    f" (refused: {bad:,} of {r.rows:,} rows are bad; nothing written)")
        verb, made = ("将导入", "将生成转会申请") if r.dry_run else ("已导入", "已生成转会申请")
        return (f"{verb} {r.imported:,} 名会员；{r.transfers:,} 人已有会员记录（在其他工会或曾离会），{made}；"
                f"{r.unchanged:,} 人已在本工会，未变动；{bad:,} 行有错误。用时 {r.seconds:.1f} 秒"
                f" ({r.rows / max(r.seconds, 1e-9):,.0f} 行/秒)."
                + (" (dry run: nothing written)" if r.dry_run else ""))
