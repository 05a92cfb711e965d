"""``gonghui pii_keys``: fresh keys for a new installation, and re-encryption after a rotation."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from gonghui.core import audit, pii


class Command(BaseCommand):
    help = (
        "Print freshly generated PII_HMAC_KEY and PII_ENCRYPTION_KEYS values for the environment of a "
        "new installation. With --rotate, move every member's, account mobile's and join application's ciphertexts to the current (first) "
        "encryption key, after it was put in front of the old ones."
    )

    def add_arguments(self, parser):
        parser.add_argument("--key-id", default="k1", help="id of the new encryption key (default k1)")
        parser.add_argument(
            "--rotate", action="store_true",
            help="re-encrypt rows whose key is not the current one (the HMAC key never changes)",
        )

    def handle(self, *args, key_id: str, rotate: bool, **options):
        if not pii.KEY_ID_RE.match(key_id):
            raise CommandError("A key id is 1 to 16 letters, digits, '.', '_' or '-'.")
        if rotate:
            return self._rotate()
        self.stdout.write("# Keep these out of the repository and never lose them.")
        self.stdout.write("# The HMAC key de-duplicates people city-wide: it can never change.")
        self.stdout.write(f"PII_HMAC_KEY={pii.new_key_b64()}")
        self.stdout.write(f"PII_ENCRYPTION_KEYS={key_id}:{pii.new_key_b64()}")
        self.stdout.write("# To rotate later: put a new 'id:key' first, keep the old ones after it, then run")
        self.stdout.write("# `gonghui pii_keys --rotate`; drop an old key once no row uses it.")

    def _rotate(self):
        from gonghui.members.models import Member
        from gonghui.members.services import member_reencrypt

        current = pii.current_key_id()
        moved, last = 0, 0
        while True:  # in batches by primary key: no cursor stays open while rows are written
            batch = list(
                Member.objects.exclude(pii_key_id=current).filter(pk__gt=last).order_by("pk")
                .values_list("pk", flat=True)[:2000]
            )
            if not batch:
                break
            for pk in batch:
                moved += member_reencrypt(member=Member(pk=pk))
            last = batch[-1]
        from gonghui.core.models import AccountPhone
        from gonghui.members.models import JoinApplication

        accounts = _rekey(AccountPhone, [("phone_cipher", "phone_hash")], current)
        applications = _rekey(JoinApplication, [("id_cipher", "id_hash"), ("phone_cipher", "phone_hash")], current)
        audit.record(actor=None, action="pii.rotate",
                     data={"key_id": current, "members": moved, "accounts": accounts, "applications": applications})
        left = set()
        for model in (Member, AccountPhone, JoinApplication):
            left |= set(model.objects.exclude(pii_key_id=current).values_list("pii_key_id", flat=True).distinct())
        self.stdout.write(f"re-encrypted {moved} members, {accounts} account mobiles and {applications} join "
                          f"applications under key {current!r}; "
                          f"keys still in use besides it: {sorted(left) or 'none'}")


def _rekey(model, pairs: list[tuple[str, str]], current: str) -> int:
    """Move each row's ciphertexts (cipher field, hash it is bound to) to the current key, row by row."""
    moved = 0
    for pk in list(model.objects.exclude(pii_key_id=current).values_list("pk", flat=True)):
        with transaction.atomic():
            row = model.objects.select_for_update().filter(pk=pk).exclude(pii_key_id=current).first()
            if row is None:
                continue
            fields = {"pii_key_id": current}
            for cipher, bound in pairs:
                plain = pii.decrypt(getattr(row, cipher), key_id=row.pii_key_id, bound_to=getattr(row, bound))
                fields[cipher], _kid = pii.encrypt(plain, bound_to=getattr(row, bound))
            model.objects.filter(pk=pk).update(**fields)
            moved += 1
    return moved
