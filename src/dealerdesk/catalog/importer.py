"""Stock vehicles and catalogue trims from a spreadsheet: the importers behind the imports app (upload → map →
dry run → import), with the same per-row error reporting as the customer import.

Stock (`stock`): one vehicle per row. The VIN, the trim code (sold by the store), colours (code or name of the
trim's colours), status (in transit or in stock), location, arrival date and who holds the certificate are checked
by the same rules as receiving a vehicle by hand (`services.clean_vin`, `services.clean_stock_fields`). A VIN the
store already holds for the same trim is `unchanged` (the file can be imported again); a VIN held by another store
or under another trim, or repeated in the file, is rejected.

Trims (`trims`): one trim per row, matched by trim code. A new code creates the trim (and its series when the
series code is new for the brand, which must exist); a known code updates the trim's changed fields. Every row is
validated by `services.clean_trim_fields`, like a trim entered by hand. Marked prices are not imported: they are
the store's decision, set on the trim's page.
"""

import re
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dealerdesk.core import validators as v
from dealerdesk.imports.registry import BatchResult, Importer, ImportField, Row, RowError, register

from . import services
from .choices import BodyType, CertificateHolder, ColourKind, Drive, EnergyType, Origin, StockStatus
from .models import Brand, Colour, Series, StockVehicle, Trim
from .selectors import brand_filter

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _key(text: str) -> str:
    return "".join(v.to_halfwidth(text).split()).casefold()


def _words(choices, extra: dict[str, str]) -> dict[str, str]:
    """Codes, labels in every language and the extra words, normalised, → code."""
    words = {_key(code): code for code in choices.values if code}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            words.update({_key(str(label)): value for value, label in choices.choices if value})
    words.update({_key(word): value for word, value in extra.items()})
    return words


def _date_value(value: str) -> date | str:
    """2026-01-31, 2026/1/31, 2026年1月31日, 20260131 (and a spreadsheet's "2026-01-31 00:00") as a date."""
    text = v.to_halfwidth(value)
    match = _DATE.match(text) or _DATE_COMPACT.match(text)
    if match is None:
        return text
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return text


def _first(messages: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(field, texts[0]) for field, texts in messages.items()]


_STATUS_WORDS = {
    "在途": StockStatus.IN_TRANSIT,
    "运输中": StockStatus.IN_TRANSIT,
    "在库": StockStatus.IN_STOCK,
    "库存": StockStatus.IN_STOCK,
    "现车": StockStatus.IN_STOCK,
    "已入库": StockStatus.IN_STOCK,
    "已预订": StockStatus.RESERVED,
    "预订": StockStatus.RESERVED,
    "已售": StockStatus.SOLD,
    "已交车": StockStatus.DELIVERED,
}
_HOLDER_WORDS = {
    "门店": CertificateHolder.STORE,
    "本店": CertificateHolder.STORE,
    "店内": CertificateHolder.STORE,
    "金融机构": CertificateHolder.LENDER,
    "银行": CertificateHolder.LENDER,
    "厂家": CertificateHolder.CARMAKER,
    "主机厂": CertificateHolder.CARMAKER,
}


@register
class StockImporter(Importer):
    kind = "stock"
    label = _("Stock vehicles")
    permission = "store.manage"
    batch_size = 500
    fields = (
        ImportField("vin", _("VIN"), ("车架号", "VIN", "VIN码", "车辆识别代号", "车辆识别号"), True),
        ImportField("trim", _("Trim code"), ("车型代码", "车型编码", "trim", "trim code"), True),
        ImportField("exterior", _("Exterior colour"), ("外观颜色", "外观", "车身颜色", "exterior", "exterior colour")),
        ImportField("interior", _("Interior colour"), ("内饰颜色", "内饰", "interior", "interior colour")),
        ImportField("status", _("Status"), ("状态", "库存状态", "status")),
        ImportField("location", _("Location"), ("库位", "存放位置", "位置", "location")),
        ImportField(
            "arrived_on", _("Arrival date"), ("到店日期", "入库日期", "到库日期", "arrival date", "arrived on")
        ),
        ImportField(
            "certificate_holder",
            _("Certificate of conformity held by"),
            ("合格证", "合格证持有方", "合格证所在", "certificate", "certificate holder"),
        ),
    )
    notice = _(
        "Each row is a vehicle received into this store's stock, in transit or in stock. A VIN this store already "
        "holds for the same trim is left as it is, so the file can be imported again. Colours are the trim's colour "
        "codes or names. Marked prices and demo cars are set on their pages."
    )

    def start(self) -> None:
        """Load the store's trims, their colours and the words for statuses and certificate holders."""
        self.store = self.job.store
        self.trims: dict[str, Trim] = {}
        self.not_sold: dict[str, Trim] = {}
        sold_ids = set(
            Trim.objects.filter(brand_filter(self.store, prefix="series__brand__")).values_list("pk", flat=True)
        )
        for trim in Trim.objects.select_related("series__brand"):
            (self.trims if trim.pk in sold_ids else self.not_sold)[_key(trim.code)] = trim
        self.colours: dict[tuple[int, str], dict[str, Colour]] = {}
        for colour in Colour.objects.filter(trim_id__in=sold_ids):
            names = self.colours.setdefault((colour.trim_id, colour.kind), {})
            names[_key(colour.code)] = colour
            names.setdefault(_key(colour.name), colour)
        self.statuses = _words(StockStatus, _STATUS_WORDS)
        self.holders = _words(CertificateHolder, _HOLDER_WORDS)
        self.seen: dict[str, int] = {}  # VIN → row that brought it in this run
        self._batch_seen: dict[str, int] = {}

    def _colour(self, trim: Trim, kind: str, value: str, number: int, errors: list[RowError]) -> Colour | None:
        if not value:
            return None
        colour = self.colours.get((trim.pk, kind), {}).get(_key(value))
        if colour is None:
            errors.append(
                RowError(
                    number,
                    kind,
                    gettext("%(trim)s has no colour “%(colour)s”; use one of its colour codes or names.")
                    % {"trim": trim.name, "colour": value},
                )
            )
        return colour

    def _parse(self, number: int, values: dict[str, str]) -> tuple[dict[str, Any] | None, list[RowError]]:
        errors: list[RowError] = []
        try:
            vin = services.clean_vin(values.get("vin", ""))
        except ValidationError as exc:
            errors.extend(RowError(number, field, text) for field, text in _first(exc.message_dict))
            vin = ""
        code = _key(values.get("trim", ""))
        trim = self.trims.get(code)
        if trim is None:
            other = self.not_sold.get(code)
            if other is not None:
                message = gettext("This store does not sell %(brand)s.") % {"brand": other.series.brand.name}
            elif code:
                message = gettext("Unknown trim code “%(code)s”.") % {"code": values.get("trim", "")}
            else:
                message = gettext("Enter the trim code.")
            errors.append(RowError(number, "trim", message))
            return None, errors
        exterior = self._colour(trim, ColourKind.EXTERIOR, values.get("exterior", ""), number, errors)
        interior = self._colour(trim, ColourKind.INTERIOR, values.get("interior", ""), number, errors)
        status_text = values.get("status", "")
        status = self.statuses.get(_key(status_text), status_text) if status_text else StockStatus.IN_STOCK
        holder_text = values.get("certificate_holder", "")
        holder = self.holders.get(_key(holder_text), holder_text) if holder_text else CertificateHolder.STORE
        try:
            data = services.clean_stock_fields(
                store=self.store,
                trim=trim,
                exterior=exterior,
                interior=interior,
                options=(),
                status=status,
                location=values.get("location", ""),
                arrived_on=_date_value(values.get("arrived_on", "")),
                certificate_holder=holder,
            )
        except ValidationError as exc:
            errors.extend(RowError(number, field, text) for field, text in _first(exc.message_dict))
            data = {}
        if errors:
            return None, errors
        data.pop("options")
        return {"vin": vin, **data}, []

    def process_batch(self, rows: list[Row]) -> BatchResult:
        """Validate the rows, look their VINs up in one query, then create, skip (already here) or reject each."""
        result = BatchResult()
        self._batch_seen = {}
        parsed: list[tuple[int, dict[str, Any]]] = []
        for number, values in rows:
            record, errors = self._parse(number, values)
            if errors:
                result.errors.extend(errors)
            else:
                parsed.append((number, record))
        existing = {
            vehicle.vin: vehicle
            for vehicle in StockVehicle.objects.filter(vin__in=[r["vin"] for _n, r in parsed]).select_related(
                "store", "trim__series__brand"
            )
        }
        new: list[StockVehicle] = []
        for number, record in parsed:
            vin = record["vin"]
            earlier = self.seen.get(vin) or self._batch_seen.get(vin)
            if earlier:
                result.errors.append(
                    RowError(
                        number, "vin", gettext("This VIN is already on row %(row)d of this file.") % {"row": earlier}
                    )
                )
                continue
            self._batch_seen[vin] = number
            held = existing.get(vin)
            if held is not None:
                if held.store_id == self.store.pk and held.trim_id == record["trim"].pk:
                    result.unchanged += 1
                else:
                    error = services.vin_in_stock_error(held, self.job.created_by, self.store)
                    result.errors.append(RowError(number, "vin", str(error.message)))
                continue
            new.append(StockVehicle(store=self.store, **record))
            result.created += 1
        if new and not self.dry_run:
            StockVehicle.objects.bulk_create(new)
        return result

    def batch_done(self) -> None:
        self.seen.update(self._batch_seen)

    def batch_failed(self) -> None:
        self._batch_seen = {}


# ---------------------------------------------------------------- trims

_ENERGY_WORDS = {
    "纯电": EnergyType.BEV,
    "纯电动": EnergyType.BEV,
    "电动": EnergyType.BEV,
    "ev": EnergyType.BEV,
    "插混": EnergyType.PHEV,
    "插电混动": EnergyType.PHEV,
    "插电式混合动力": EnergyType.PHEV,
    "增程": EnergyType.EREV,
    "增程式": EnergyType.EREV,
    "油电混动": EnergyType.HEV,
    "混动": EnergyType.HEV,
    "油混": EnergyType.HEV,
    "燃油": EnergyType.ICE,
    "汽油": EnergyType.ICE,
    "柴油": EnergyType.ICE,
}
_BODY_WORDS = {
    "轿车": BodyType.SEDAN,
    "三厢": BodyType.SEDAN,
    "两厢": BodyType.HATCHBACK,
    "掀背": BodyType.HATCHBACK,
    "旅行车": BodyType.WAGON,
    "跑车": BodyType.COUPE,
    "轿跑": BodyType.COUPE,
    "皮卡": BodyType.PICKUP,
}
_DRIVE_WORDS = {
    "前驱": Drive.FWD,
    "前置前驱": Drive.FWD,
    "后驱": Drive.RWD,
    "后置后驱": Drive.RWD,
    "四驱": Drive.AWD,
    "全时四驱": Drive.AWD,
    "双电机四驱": Drive.AWD,
    "4wd": Drive.AWD,
}
_ORIGIN_WORDS = {"国产": Origin.DOMESTIC, "合资": Origin.DOMESTIC, "进口": Origin.IMPORTED}
_TRIM_COLUMNS = (
    "name",
    "model_year",
    "energy_type",
    "body_type",
    "seats",
    "drive",
    "power_kw",
    "electric_range_km",
    "fuel_l_per_100km",
    "length_mm",
    "width_mm",
    "height_mm",
    "wheelbase_mm",
    "key_features",
    "origin",
    "msrp",
)


@register
class TrimImporter(Importer):
    kind = "trims"
    label = _("Catalogue trims")
    permission = "store.manage"
    batch_size = 200
    fields = (
        ImportField("brand", _("Brand"), ("品牌", "品牌代码", "brand"), True),
        ImportField("series_code", _("Series code"), ("车系代码", "车系编码", "series code"), True),
        ImportField("series_name", _("Series"), ("车系", "车系名称", "series", "series name")),
        ImportField("code", _("Trim code"), ("车型代码", "车型编码", "trim code", "code"), True),
        ImportField("name", _("Trim name"), ("车型", "车型名称", "trim", "trim name", "name"), True),
        ImportField("model_year", _("Model year"), ("年款", "车型年款", "model year")),
        ImportField("energy_type", _("Energy type"), ("能源类型", "动力类型", "energy", "energy type")),
        ImportField("body_type", _("Body type"), ("车身类型", "车身形式", "body", "body type")),
        ImportField("seats", _("Seats"), ("座位数", "座位", "seats")),
        ImportField("drive", _("Drive"), ("驱动方式", "驱动", "drive")),
        ImportField("power_kw", _("Power (kW)"), ("最大功率", "功率", "功率(kW)", "power", "power kw")),
        ImportField("electric_range_km", _("Electric range (km)"), ("纯电续航", "续航里程", "electric range")),
        ImportField("fuel_l_per_100km", _("Fuel (L/100 km)"), ("油耗", "综合油耗", "fuel", "fuel consumption")),
        ImportField("length_mm", _("Length (mm)"), ("长", "长度", "车长", "length")),
        ImportField("width_mm", _("Width (mm)"), ("宽", "宽度", "车宽", "width")),
        ImportField("height_mm", _("Height (mm)"), ("高", "高度", "车高", "height")),
        ImportField("wheelbase_mm", _("Wheelbase (mm)"), ("轴距", "wheelbase")),
        ImportField("key_features", _("Key features"), ("主要配置", "亮点配置", "配置", "key features", "features")),
        ImportField("origin", _("Origin"), ("产地", "origin")),
        ImportField("msrp", _("MSRP (CNY)"), ("指导价", "厂商指导价", "官方指导价", "msrp")),
    )
    notice = _(
        "Each row is a trim of the group's catalogue, matched by its trim code: a new code adds the trim (and its "
        "series when the series code is new for that brand), a known code updates what changed. The brand must "
        "exist already. Marked prices are not imported: set them on the trim's page."
    )

    def start(self) -> None:
        self.brands: dict[str, Brand] = {}
        for brand in Brand.objects.all():
            self.brands[_key(brand.code)] = brand
            self.brands.setdefault(_key(brand.name), brand)
        self.energies = _words(EnergyType, _ENERGY_WORDS)
        self.bodies = _words(BodyType, _BODY_WORDS)
        self.drives = _words(Drive, _DRIVE_WORDS)
        self.origins = _words(Origin, _ORIGIN_WORDS)
        self.codes_seen: dict[str, int] = {}
        self._batch_codes: dict[str, int] = {}
        self.series = {(series.brand_id, series.code): series for series in Series.objects.all()}
        self.new_series: set[tuple[int, str]] = set()  # dry run: series this run would create
        self._batch_series: set[tuple[int, str]] = set()

    def _translate(self, values: dict[str, str]) -> dict[str, Any]:
        data: dict[str, Any] = {name: values[name] for name in _TRIM_COLUMNS if name in values}
        for name, words in (
            ("energy_type", self.energies),
            ("body_type", self.bodies),
            ("drive", self.drives),
            ("origin", self.origins),
        ):
            if data.get(name):
                data[name] = words.get(_key(data[name]), data[name])
        if "model_year" in data:
            data["model_year"] = str(data["model_year"]).removesuffix("款").removesuffix("年")
        return data

    def process_batch(self, rows: list[Row]) -> BatchResult:
        """Validate each row, then create or update its trim (and create a new series)."""
        result = BatchResult()
        self._batch_codes, self._batch_series = {}, set()
        codes = [_key(values.get("code", "")) for _n, values in rows]
        existing = {t.code: t for t in Trim.objects.filter(code__in=codes).select_related("series__brand")}
        for number, values in rows:
            errors = self._row(number, values, existing, result)
            result.errors.extend(errors)
        return result

    def _row(self, number: int, values: dict[str, str], existing: dict[str, Trim], result: BatchResult) -> list:
        code = _key(values.get("code", ""))
        earlier = self.codes_seen.get(code) or self._batch_codes.get(code)
        if code and earlier:
            return [
                RowError(
                    number, "code", gettext("This trim code is already on row %(row)d of this file.") % {"row": earlier}
                )
            ]
        brand = self.brands.get(_key(values.get("brand", "")))
        if brand is None:
            return [
                RowError(
                    number,
                    "brand",
                    gettext("Unknown brand “%(brand)s”; use the code or name of a brand in the catalogue.")
                    % {"brand": values.get("brand", "")},
                )
            ]
        data = self._translate(values)
        trim = existing.get(code)
        if trim is not None and trim.series.brand_id != brand.pk:
            return [
                RowError(
                    number,
                    "code",
                    gettext("Trim %(code)s belongs to %(brand)s.") % {"code": code, "brand": trim.series.brand},
                )
            ]
        try:
            series, errors = self._series(number, brand, values, data)
            if errors:
                return errors
            if trim is None:
                data.setdefault("body_type", series.body_type if series else "")
                cleaned = services.clean_trim_fields({**data, "code": code})
            else:
                cleaned = services.clean_trim_fields(data, instance=trim)
        except ValidationError as exc:
            return [RowError(number, field, text) for field, text in _first(exc.message_dict)]
        self._batch_codes[code] = number
        if trim is None:
            result.created += 1
            if not self.dry_run:
                Trim.objects.create(series=series, **cleaned)
            return []
        changed = {name: value for name, value in cleaned.items() if getattr(trim, name) != value}
        if trim.series_id != getattr(series, "pk", trim.series_id):
            changed["series"] = series
        if not changed:
            result.unchanged += 1
            return []
        result.updated += 1
        if not self.dry_run:
            for name, value in changed.items():
                setattr(trim, name, value)
            trim.save()
        return []

    def _series(
        self, number: int, brand: Brand, values: dict[str, str], data: dict[str, Any]
    ) -> tuple[Series | None, list[RowError]]:
        """The row's series (created when new for the brand, unless a dry run: then None)."""
        series_code = _key(values.get("series_code", ""))
        series = self.series.get((brand.pk, series_code))
        if series is not None:
            return series, []
        if (brand.pk, series_code) in self.new_series | self._batch_series:
            return None, []
        fields = {"code": series_code, "name": values.get("series_name", ""), "body_type": data.get("body_type", "")}
        try:
            cleaned = services.clean_series_fields(fields, brand=brand)
        except ValidationError as exc:
            column = {"code": "series_code", "name": "series_name"}
            return None, [RowError(number, column.get(f, f), text) for f, text in _first(exc.message_dict)]
        self._batch_series.add((brand.pk, series_code))
        if self.dry_run:
            return None, []
        series = self.series[(brand.pk, series_code)] = Series.objects.create(brand=brand, **cleaned)
        return series, []

    def batch_done(self) -> None:
        self.codes_seen.update(self._batch_codes)
        self.new_series |= self._batch_series

    def batch_failed(self) -> None:
        self._batch_codes, self._batch_series = {}, set()
        self.series = {(series.brand_id, series.code): series for series in Series.objects.all()}
