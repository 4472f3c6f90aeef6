"""Admin views of the catalogue and stock: look, never touch. Writes go through the services (pages, API, imports)
so that they are validated and audited."""

from django.contrib import admin

from dealerdesk.core.admin import ReadOnlyAdmin

from .models import Brand, Colour, MarkedPrice, Option, Series, StockVehicle, Trim


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ColourInline(_ReadOnlyInline):
    model = Colour


class OptionInline(_ReadOnlyInline):
    model = Option


@admin.register(Brand)
class BrandAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "name_en"]


@admin.register(Series)
class SeriesAdmin(ReadOnlyAdmin):
    list_display = ["brand", "code", "name", "body_type", "is_active"]
    list_filter = ["brand", "body_type", "is_active"]


@admin.register(Trim)
class TrimAdmin(ReadOnlyAdmin):
    list_display = ["code", "series", "name", "model_year", "energy_type", "msrp", "is_active"]
    list_filter = ["series__brand", "energy_type", "body_type", "is_active"]
    search_fields = ["code", "name"]
    inlines = [ColourInline, OptionInline]


@admin.register(MarkedPrice)
class MarkedPriceAdmin(ReadOnlyAdmin):
    list_display = ["store", "trim", "price", "valid_from", "set_by"]
    list_filter = ["store"]
    show_full_result_count = False


@admin.register(StockVehicle)
class StockVehicleAdmin(ReadOnlyAdmin):
    list_display = ["vin", "store", "trim", "status", "is_demo", "demo_status", "plate", "arrived_on"]
    list_filter = ["store", "status", "is_demo", "demo_status"]
    search_fields = ["vin", "plate"]
    show_full_result_count = False
