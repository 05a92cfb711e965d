from django.contrib import admin

from gonghui.disputes.models import Case, MediationRoom, MinimumWage, RoomStaff


class RoomStaffInline(admin.TabularInline):
    model = RoomStaff
    extra = 0
    raw_id_fields = ("user",)


@admin.register(MediationRoom)
class MediationRoomAdmin(admin.ModelAdmin):
    """Rooms and their staff (system administrators; cadres use the workbench)."""

    list_display = ("code", "name", "level", "org", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("code", "name")
    raw_id_fields = ("org",)
    readonly_fields = ("org_path",)
    inlines = [RoomStaffInline]

    def save_model(self, request, obj, form, change):
        obj.org_path = obj.org.path
        super().save_model(request, obj, form, change)


@admin.register(MinimumWage)
class MinimumWageAdmin(admin.ModelAdmin):
    list_display = ("org", "amount", "valid_from", "source")
    raw_id_fields = ("org",)
    readonly_fields = ("org_path",)

    def save_model(self, request, obj, form, change):
        obj.org_path = obj.org.path
        super().save_model(request, obj, form, change)


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Browsing only, masked: cases move through the services (state graph, audit)."""

    list_display = ("number", "state", "channel", "org", "room", "applicant_name", "received_on")
    list_filter = ("state", "channel", "main_claim")
    search_fields = ("number",)
    list_select_related = ("org", "room")
    exclude = ("id_hash", "id_cipher", "phone_hash", "phone_cipher", "pii_key_id")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
