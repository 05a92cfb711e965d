from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from gonghui.core.models import ApiToken, AuditEntry, Role, WorkCalendarDay

User = get_user_model()


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "org", "created_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "org__code", "org__name")
    raw_id_fields = ("user", "org")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only."""

    list_display = ("seq", "at", "actor_name", "action", "object_type", "object_id", "ip")
    list_filter = ("action",)
    search_fields = ("actor_name", "object_id", "action")
    ordering = ("-seq",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(admin.ModelAdmin):
    """The holiday schedule of a year the calendar package does not carry yet (``core.workdays``)."""

    list_display = ("day", "is_workday", "note")
    list_filter = ("is_workday",)
    date_hierarchy = "day"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "expires_at")
    readonly_fields = ("user", "key_hash", "created_at")

    def has_add_permission(self, request):
        return False


class RoleInline(admin.TabularInline):
    model = Role
    extra = 1
    raw_id_fields = ("org",)


class UserWithRolesAdmin(UserAdmin):
    """Users with the roles they hold; a role on an org covers its whole subtree."""

    inlines = [RoleInline]


admin.site.unregister(User)
admin.site.register(User, UserWithRolesAdmin)
