from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy
from treebeard.mp_tree import MP_Node

from gonghui.core import paths


class OrgKind(models.TextChoices):
    CITY = "city", _("City federation of trade unions")
    DISTRICT = "district", _("District federation of trade unions")
    TOWNSHIP = "township", _("Township / park federation")
    ENTERPRISE = "enterprise", _("Enterprise union")
    JOINT = "joint", _("Joint union")
    INDUSTRY = "industry", _("Industry union")
    NEW_FORM = "new_form", _("New-form union")


# Kinds that lead other unions (the main line 市-县-乡); the rest are grassroots unions.
FEDERATION_KINDS = (OrgKind.CITY, OrgKind.DISTRICT, OrgKind.TOWNSHIP)


class Org(MP_Node):
    """A trade-union organisation, a node of the union tree (materialised path)."""

    steplen = paths.STEP
    node_order_by: list[str] = []

    # The tree's own columns (treebeard's MP_Node), as it declares them, with a name for /admin/.
    path = models.CharField(_("tree path"), max_length=255, unique=True)
    depth = models.PositiveIntegerField(_("level in the tree"))
    numchild = models.PositiveIntegerField(_("unions directly under it"), default=0)
    code = models.CharField(_("union code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=OrgKind.choices)
    is_new_form = models.BooleanField(_("new-form union"), default=False)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    star_rating = models.PositiveSmallIntegerField(_("star rating"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("union")
        verbose_name_plural = _("unions")
        indexes = [models.Index(fields=["name"], name="org_name_idx")]

    def __str__(self) -> str:
        return self.name
