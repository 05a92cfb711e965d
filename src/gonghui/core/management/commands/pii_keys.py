"""``gonghui pii_keys``: fresh keys for a new installation, and re-encryption after a rotation."""

from django.core.management.base import BaseCommand, CommandError

from gonghui.core import pii
from gonghui.core.rotation import pii_rotate


class Command(BaseCommand):
    help = (
        "Print freshly generated PII_HMAC_KEY and PII_ENCRYPTION_KEYS values for the environment of a "
        "new installation. With --rotate, move every stored ciphertext (every model that registered its personal data) "
        "to the current (first) encryption key, after it was put in front of the old ones."
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
        result = pii_rotate()
        moved = ", ".join(f"{n} {label}" for label, n in result.moved.items())
        left = "; ".join(f"{key_id} ({', '.join(labels)})" for key_id, labels in result.left.items())
        self.stdout.write(f"re-encrypted under key {result.key_id!r}: {moved}; "
                          f"keys still in use besides it: {left or 'none'}")
