"""Materialised-path arithmetic shared by every subtree query.

A subtree is the range ``path >= p AND path < upper(p)``: both databases answer it from the
index on ``path`` (SQLite cannot use an index for ``LIKE 'p%'``), and because paths only use
``0-9A-Z`` the range means the same under any collation.
"""

from django.db.models import Q

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEP = 4  # characters per level (treebeard's ``steplen`` of the union tree)


def ancestors(path: str) -> list[str]:
    """The paths of the node at ``path`` and of every node above it, the root first."""
    return [path[:i] for i in range(STEP, len(path) + 1, STEP)]


def parent_path(path: str) -> str:
    """The path of the node above (empty for a root)."""
    return path[:-STEP]


def upper_bound(path: str) -> str | None:
    """The smallest path of the same length greater than every path starting with ``path``."""
    chars = list(path)
    for i in range(len(chars) - 1, -1, -1):
        pos = ALPHABET.index(chars[i])
        if pos + 1 < len(ALPHABET):
            chars[i] = ALPHABET[pos + 1]
            return "".join(chars[: i + 1])
        chars[i] = ALPHABET[0]
    return None  # all Z: nothing sorts after it


def subtree_q(path: str, field: str = "path") -> Q:
    q = Q(**{f"{field}__gte": path})
    upper = upper_bound(path)
    if upper is not None:
        q &= Q(**{f"{field}__lt": upper})
    return q
