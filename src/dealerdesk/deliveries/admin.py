"""Admin views of deliveries: read-only (deliveries change through the services only); gifts' stock read-only."""

from django.contrib import admin

from .models import (
    Delivery,
    DeliveryDocument,
    DeliveryGift,
    DeliverySettings,
    GiftItem,
    GiftRule,
    PdiCheck,
    PromisedGift,
    WarrantyClock,
)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _PdiInline(admin.TabularInline):
    model = PdiCheck
    extra = 0
    can_delete = False
    readonly_fields = ["code", "label", "result", "note", "checked_by", "checked_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class _DocumentInline(admin.TabularInline):
    model = DeliveryDocument
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "quantity", "holder", "holder_name", "promised_on", "received_at", "received_by"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class _PromisedGiftInline(admin.TabularInline):
    model = PromisedGift
    extra = 0
    can_delete = False
    readonly_fields = ["item", "source", "status", "gift", "substitute", "reason", "recorded_by", "recorded_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnly):
    list_display = ["number", "store", "status", "scheduled_at", "bay", "consultant"]
    list_filter = ["status", "store"]
    search_fields = ["number"]
    exclude = ["customer_signature_png", "confirmation_pdf"]
    inlines = [_PdiInline, _DocumentInline, _PromisedGiftInline]


@admin.register(GiftItem)
class GiftItemAdmin(admin.ModelAdmin):
    list_display = ["name", "store", "unit_value", "stock", "is_active"]
    list_filter = ["store", "is_active"]
    readonly_fields = ["stock", "created_at", "updated_at"]


@admin.register(GiftRule)
class GiftRuleAdmin(admin.ModelAdmin):
    list_display = ["gift", "store", "quantity", "trim", "promotion", "min_order_total", "is_active"]
    raw_id_fields = ["trim", "promotion"]


@admin.register(DeliverySettings)
class DeliverySettingsAdmin(admin.ModelAdmin):
    list_display = ["store", "slot_minutes", "odometer_warning_km", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]


admin.site.register(DeliveryGift, _ReadOnly)
admin.site.register(WarrantyClock, _ReadOnly)
