from django.contrib import admin

from gonghui.mutualaid.models import Payout, Plan, SettlementFeed, SettlementRecord


class BrowseOnly(admin.ModelAdmin):
    """Browsing only: mutual aid is changed through its services (workbench, API), where it is audited."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Plan)
class PlanAdmin(BrowseOnly):
    list_display = ("name", "product", "year", "version", "fee", "deductible", "yearly_cap", "stay_cap")
    list_filter = ("product", "year")


@admin.register(SettlementFeed)
class FeedAdmin(BrowseOnly):
    list_display = ("id", "source", "filename", "status", "rows", "stored", "priced", "rejected", "created_at")
    list_filter = ("status", "source")
    exclude = ("upload",)


@admin.register(SettlementRecord)
class RecordAdmin(BrowseOnly):
    list_display = ("settlement_id", "id_masked", "hospital", "discharged_on", "self_pay_in", "status", "reason_code")
    list_filter = ("status", "reason_code", "product")
    search_fields = ("settlement_id",)
    exclude = ("id_hash", "id_cipher", "pii_key_id")


@admin.register(Payout)
class PayoutAdmin(BrowseOnly):
    list_display = ("id", "member", "product", "amount", "status", "decided_on", "paid_on")
    list_filter = ("status", "product")
    list_select_related = ("member",)
    raw_id_fields = ("member", "settlement", "claim", "enrolment", "plan")
    exclude = ("person_hash",)
