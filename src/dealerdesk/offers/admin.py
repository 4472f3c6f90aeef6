"""Admin views of promotions and offers: offers are read-only (they change through the services only)."""

from django.contrib import admin

from .models import Offer, OfferLine, OfferPolicy, OfferVersion, Promotion


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "store",
        "kind",
        "amount",
        "percentage",
        "starts_on",
        "ends_on",
        "stacking_group",
        "is_active",
    ]
    list_filter = ["kind", "is_active", "exclusive", "store"]
    search_fields = ["name"]
    readonly_fields = ["budget_remaining", "quantity_remaining", "created_by", "created_at", "updated_at"]
    raw_id_fields = ["brand", "series", "trim"]


@admin.register(OfferPolicy)
class OfferPolicyAdmin(admin.ModelAdmin):
    list_display = ["store", "discount_limit", "validity_days", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OfferLineInline(admin.TabularInline):
    model = OfferLine
    extra = 0
    fields = ["position", "kind", "code", "label", "amount", "value", "promotion", "optional"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Offer)
class OfferAdmin(_ReadOnly):
    list_display = ["id", "store", "consultant", "status", "valid_until", "created_at"]
    list_filter = ["status", "store"]
    show_full_result_count = False


@admin.register(OfferVersion)
class OfferVersionAdmin(_ReadOnly):
    list_display = ["offer", "number", "trim", "total", "decision", "created_at"]
    inlines = [OfferLineInline]
    show_full_result_count = False
