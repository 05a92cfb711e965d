from django.contrib import admin

from gonghui.members.models import Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    """Browsing only, masked: member data is edited in the staff workbench, where it is audited."""

    list_display = ("name", "id_masked", "org", "status", "joined_on", "card_number")
    list_filter = ("status", "is_new_form", "category")
    search_fields = ("name", "card_number")
    list_select_related = ("org",)
    exclude = ("id_hash", "id_cipher", "phone_hash", "phone_cipher", "pii_key_id")
    readonly_fields = ("org", "org_path", "id_masked", "phone_masked", "birth_date", "sex", "region_code", "user")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
