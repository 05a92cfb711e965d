from django.contrib import admin

from gonghui.orgs.models import Org


@admin.register(Org)
class OrgAdmin(admin.ModelAdmin):
    """Browsing only: unions are created and edited in the staff workbench, where it is audited."""

    list_display = ("code", "name", "kind", "is_new_form", "depth")
    list_filter = ("kind", "is_new_form", "depth")
    search_fields = ("code", "name")
    readonly_fields = ("path", "depth", "numchild")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
