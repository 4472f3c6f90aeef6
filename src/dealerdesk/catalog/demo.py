"""Demo catalogue and stock for `dealerdesk demo_data`: 3 fictional brands (星耀, 远航, 青峰), 13 series, 46 trims
across BEV, PHEV, EREV, HEV and ICE with colours, options and packages; each demo store's marked prices (with some
history), 20–40 stock vehicles with valid VINs over every status, and 4 demo cars with plates and insurance.

Deterministic and idempotent: each part is loaded only when missing. Bulk inserts keep it well under a second.
"""

import datetime
import hashlib
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dealerdesk.accounts.models import Store
from dealerdesk.core.validators import vin_check_digit

from .choices import CertificateHolder, ColourKind, DemoStatus, StockStatus
from .models import Brand, Colour, MarkedPrice, Option, Series, StockVehicle, Trim

BRANDS = [
    ("xingyao", "星耀", "Xingyao", "LXY"),
    ("yuanhang", "远航", "Yuanhang", "LYH"),
    ("qingfeng", "青峰", "Qingfeng", "LPF"),
]
# Demo stores → the brand codes they sell (Store.brands lists codes).
STORE_BRANDS = {"sz-futian": ["xingyao", "yuanhang", "qingfeng"], "gz-tianhe": ["xingyao", "yuanhang"]}
STOCK_PER_STORE = {"sz-futian": 36, "gz-tianhe": 28}

# (brand, code, name, body type, (length, width, height, wheelbase), features of the whole series, trims)
# trim: (code suffix, name, energy, drive, seats, kW, electric range km, fuel L/100km, MSRP, extras joined by 、)
SERIES = [
    (
        "xingyao",
        "xy-s3",
        "星耀S3",
        "sedan",
        (4720, 1840, 1495, 2750),
        ["10.25英寸液晶仪表", "倒车影像"],
        [
            ("405", "405km 标准续航版", "bev", "fwd", 5, 110, 405, None, "99800", ""),
            ("510", "510km 长续航版", "bev", "fwd", 5, 135, 510, None, "119800", "全景天窗"),
            ("510z", "510km 智驾版", "bev", "fwd", 5, 135, 510, None, "132800", "全景天窗、L2 智能驾驶辅助"),
            ("dmi", "DM 超级混动 55km 领先型", "phev", "fwd", 5, 132, 55, "3.8", "109800", ""),
        ],
    ),
    (
        "xingyao",
        "xy-s5",
        "星耀S5",
        "sedan",
        (4980, 1910, 1495, 2920),
        ["15.6英寸旋转中控屏", "L2 智能驾驶辅助"],
        [
            ("dm120", "DM 120km 尊贵型", "phev", "fwd", 5, 160, 120, "3.6", "169800", ""),
            ("dm200", "DM 200km 旗舰型", "phev", "fwd", 5, 180, 200, "3.9", "189800", "座椅通风加热"),
            ("ev605", "EV 605km 长续航", "bev", "rwd", 5, 200, 605, None, "199800", "座椅通风加热"),
            (
                "ev715",
                "EV 715km 四驱性能版",
                "bev",
                "awd",
                5,
                390,
                715,
                None,
                "229800",
                "座椅通风加热、HUD抬头显示",
            ),
        ],
    ),
    (
        "xingyao",
        "xy-x5",
        "星耀X5",
        "suv",
        (4615, 1875, 1710, 2765),
        ["360°全景影像", "无线充电"],
        [
            ("ev450", "EV 450km 舒适版", "bev", "fwd", 5, 150, 450, None, "149800", ""),
            ("ev560", "EV 560km 豪华版", "bev", "fwd", 5, 160, 560, None, "169800", "电动尾门"),
            ("dm110", "DM-i 110km 豪华版", "phev", "fwd", 5, 145, 110, "4.2", "159800", "电动尾门"),
            (
                "dm110-4wd",
                "DM-p 110km 四驱旗舰版",
                "phev",
                "awd",
                5,
                320,
                100,
                "4.8",
                "189800",
                "电动尾门、空气悬架",
            ),
        ],
    ),
    (
        "xingyao",
        "xy-x7",
        "星耀X7",
        "suv",
        (5050, 1960, 1780, 3000),
        ["三排座椅", "三区空调"],
        [
            ("erev-6", "增程 200km 六座版", "erev", "rwd", 6, 200, 200, "5.9", "249800", "二排独立座椅"),
            ("erev-7", "增程 200km 七座版", "erev", "rwd", 7, 200, 200, "5.9", "239800", ""),
            (
                "erev-max",
                "增程 260km 四驱Max",
                "erev",
                "awd",
                6,
                330,
                260,
                "6.3",
                "289800",
                "二排独立座椅、空气悬架",
            ),
            ("phev-7", "DM-i 150km 七座尊享版", "phev", "fwd", 7, 180, 150, "5.3", "229800", ""),
        ],
    ),
    (
        "xingyao",
        "xy-m8",
        "星耀M8",
        "mpv",
        (5210, 1995, 1820, 3200),
        ["双侧电动滑门", "二排航空座椅"],
        [
            ("dm-business", "DM 180km 商务版", "phev", "fwd", 7, 200, 180, "5.6", "279800", ""),
            ("dm-flagship", "DM 180km 旗舰版", "phev", "fwd", 7, 220, 180, "5.6", "319800", "后排娱乐屏"),
            ("ev-luxury", "EV 620km 尊享版", "bev", "awd", 7, 360, 620, None, "369800", "后排娱乐屏、冰箱"),
        ],
    ),
    (
        "yuanhang",
        "yh-a6",
        "远航A6",
        "sedan",
        (4680, 1810, 1470, 2700),
        ["CarPlay", "定速巡航"],
        [
            ("15l-mt", "1.5L 手动时尚版", "ice", "fwd", 5, 85, None, "5.9", "92800", ""),
            ("15l-cvt", "1.5L CVT 舒适版", "ice", "fwd", 5, 85, None, "5.6", "109800", "自动空调"),
            ("15t-dct", "1.5T DCT 豪华版", "ice", "fwd", 5, 118, None, "6.1", "129800", "自动空调、全景天窗"),
            ("hev", "1.8L 双擎混动 豪华版", "hev", "fwd", 5, 100, None, "4.1", "139800", "自动空调、全景天窗"),
        ],
    ),
    (
        "yuanhang",
        "yh-c7",
        "远航C7",
        "sedan",
        (4930, 1850, 1475, 2850),
        ["真皮座椅", "L2 智能驾驶辅助"],
        [
            ("20t-std", "2.0T 精英版", "ice", "fwd", 5, 137, None, "6.7", "179800", ""),
            ("20t-lux", "2.0T 豪华版", "ice", "fwd", 5, 137, None, "6.7", "199800", "座椅通风加热"),
            ("hev-lux", "2.0L 双擎混动 豪华版", "hev", "fwd", 5, 145, None, "4.3", "209800", "座椅通风加热"),
            (
                "hev-flag",
                "2.5L 双擎混动 旗舰版",
                "hev",
                "fwd",
                5,
                160,
                None,
                "4.5",
                "239800",
                "座椅通风加热、HUD抬头显示",
            ),
        ],
    ),
    (
        "yuanhang",
        "yh-t5",
        "远航T5",
        "suv",
        (4680, 1880, 1690, 2750),
        ["360°全景影像", "电动尾门"],
        [
            ("15t-2wd", "1.5T 两驱精英版", "ice", "fwd", 5, 124, None, "6.9", "159800", ""),
            ("20t-4wd", "2.0T 四驱豪华版", "ice", "awd", 5, 165, None, "7.8", "199800", "全景天窗"),
            ("hev", "2.0L 双擎 两驱豪华版", "hev", "fwd", 5, 145, None, "4.8", "189800", "全景天窗"),
            ("phev", "PHEV 85km 四驱旗舰版", "phev", "awd", 5, 225, 85, "1.9", "239800", "全景天窗、空气净化"),
        ],
    ),
    (
        "yuanhang",
        "yh-t9",
        "远航T9",
        "suv",
        (5040, 1980, 1800, 2980),
        ["三排座椅", "四区空调"],
        [
            ("20t-7", "2.0T 四驱七座豪华版", "ice", "awd", 7, 185, None, "8.9", "269800", ""),
            ("20t-6", "2.0T 四驱六座尊贵版", "ice", "awd", 6, 185, None, "8.9", "289800", "二排独立座椅"),
            (
                "phev-7",
                "PHEV 100km 四驱旗舰版",
                "phev",
                "awd",
                7,
                260,
                100,
                "2.2",
                "319800",
                "二排独立座椅、空气悬架",
            ),
        ],
    ),
    (
        "yuanhang",
        "yh-v9",
        "远航V9",
        "mpv",
        (5130, 1925, 1850, 3070),
        ["双侧电动滑门", "二排零重力座椅"],
        [
            ("hev-elite", "2.5L 双擎 精英版", "hev", "fwd", 7, 140, None, "5.3", "259800", ""),
            ("hev-lux", "2.5L 双擎 豪华版", "hev", "fwd", 7, 140, None, "5.3", "299800", "后排娱乐屏"),
            (
                "hev-flag",
                "2.5L 双擎 四驱旗舰版",
                "hev",
                "awd",
                7,
                182,
                None,
                "5.8",
                "349800",
                "后排娱乐屏、香氛系统",
            ),
        ],
    ),
    (
        "qingfeng",
        "qf-e3",
        "青峰E3",
        "hatchback",
        (4100, 1780, 1570, 2610),
        ["倒车雷达", "手机互联"],
        [
            ("330", "330km 活力版", "bev", "fwd", 5, 70, 330, None, "89800", ""),
            ("420", "420km 智享版", "bev", "fwd", 5, 100, 420, None, "109800", "倒车影像"),
            ("420-plus", "420km 智享Plus", "bev", "fwd", 5, 100, 420, None, "119800", "倒车影像、无线充电"),
        ],
    ),
    (
        "qingfeng",
        "qf-gt",
        "青峰GT",
        "sedan",
        (4880, 1950, 1420, 2960),
        ["碳纤维套件", "运动座椅"],
        [
            ("rwd", "后驱 长续航版", "bev", "rwd", 5, 300, 700, None, "279800", ""),
            ("awd", "双电机四驱 性能版", "bev", "awd", 5, 480, 630, None, "329800", "Brembo 卡钳"),
            ("track", "三电机 赛道版", "bev", "awd", 5, 750, 560, None, "399800", "Brembo 卡钳、赛道模式"),
        ],
    ),
    (
        "qingfeng",
        "qf-l9",
        "青峰L9",
        "suv",
        (5210, 1998, 1800, 3105),
        ["空气悬架", "三排座椅"],
        [
            ("pro", "增程 Pro", "erev", "awd", 6, 330, 215, "6.0", "309800", ""),
            ("max", "增程 Max", "erev", "awd", 6, 330, 280, "6.1", "349800", "后排娱乐屏、冰箱"),
            ("ultra", "增程 Ultra", "erev", "awd", 6, 365, 280, "6.1", "389800", "后排娱乐屏、冰箱、激光雷达"),
        ],
    ),
]

# Exterior palette (code, name, extra price); each trim offers a deterministic 2–5 of them.
EXTERIORS = [
    ("WH01", "冰川白", "0"),
    ("BK01", "曜石黑", "0"),
    ("GR01", "星际灰", "0"),
    ("SV01", "月光银", "0"),
    ("BL02", "深海蓝", "2000"),
    ("RD03", "熔岩红", "3000"),
    ("GN02", "极光绿", "3000"),
    ("PR01", "珠光白", "5000"),
]
INTERIORS = [("IBK", "曜黑内饰", "0"), ("IBR", "摩卡棕内饰", "0"), ("IWH", "云白内饰", "2000")]
# Options and packages: (code, name, price, package?, contents joined by 、); each trim offers 2–4.
OPTIONS = [
    ("ADAS", "高阶智驾包", "12000", True, "城市领航辅助、自动泊车、激光雷达"),
    ("AUDIO", "Hi-Fi 音响", "6000", False, ""),
    ("COMFORT", "舒适包", "8000", True, "座椅按摩、电动腿托、四区空调"),
    ("WHEEL20", "20英寸轮毂", "5000", False, ""),
    ("TOW", "拖车钩", "2500", False, ""),
    ("WINTER", "冬季包", "3500", True, "方向盘加热、后排座椅加热、热泵空调"),
]
LOCATIONS = ["A区-01", "A区-02", "A区-03", "B区-01", "B区-02", "C区-地下", "展厅-1", "展厅-2"]
_VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
_MONEY = Decimal("0.01")


def _pick(key: str, modulo: int) -> int:
    """A stable pseudo-random number in [0, modulo) for a key (demo data is the same on every run)."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % modulo


def _vin(wmi: str, store_index: int, n: int) -> str:
    serial = ""
    value = store_index * 100_000 + n
    for _position in range(6):
        value, digit = divmod(value, len(_VIN_CHARS))
        serial = _VIN_CHARS[digit] + serial
    body = f"{wmi}D{_VIN_CHARS[_pick(wmi + str(n), 33)]}A2B0T{'SG'[store_index]}{serial}"
    return body[:8] + vin_check_digit(body) + body[9:]


def load(stdout=None) -> int:
    """Load the catalogue, then each demo store's brands, marked prices, stock and demo cars; returns rows created."""
    started = timezone.now()
    with transaction.atomic():
        created = _load_catalogue()
        for index, store in enumerate(Store.objects.filter(code__in=list(STORE_BRANDS)).order_by("-code")):
            created += _load_store(store, index)
    if stdout:
        seconds = (timezone.now() - started).total_seconds()
        stdout.write(
            f"demo catalogue and stock: {created} new rows ({seconds:.1f} s)"
            if created
            else "demo catalogue and stock: already loaded"
        )
    return created


def _colour(trim: Trim, kind: str, code: str, name: str, extra: str) -> Colour:
    return Colour(trim=trim, kind=kind, code=code, name=name, extra_price=Decimal(extra))


def _load_catalogue() -> int:
    if Trim.objects.filter(series__brand__code="xingyao").exists():
        return 0
    brands = {}
    created = 0
    for code, name, name_en, _wmi in BRANDS:
        brands[code], new = Brand.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})
        created += new
    series_rows = [
        Series(brand=brands[brand], code=code, name=name, body_type=body)
        for brand, code, name, body, _dims, _features, _trims in SERIES
        if not Series.objects.filter(brand=brands[brand], code=code).exists()
    ]
    Series.objects.bulk_create(series_rows)
    created += len(series_rows)
    series_of = {(s.brand_id, s.code): s for s in Series.objects.filter(brand__in=brands.values())}
    trims: list[Trim] = []
    for brand, code, _name, body, dims, features, specs in SERIES:
        series = series_of[(brands[brand].pk, code)]
        length, width, height, wheelbase = dims
        for suffix, trim_name, energy, drive, seats, power, electric, fuel, msrp, extra in specs:
            extras = extra.split("、") if extra else []
            trims.append(
                Trim(
                    series=series,
                    code=f"{code}-2026-{suffix}",
                    name=trim_name,
                    model_year=2026,
                    energy_type=energy,
                    body_type=body,
                    seats=seats,
                    drive=drive,
                    power_kw=power,
                    electric_range_km=electric,
                    fuel_l_per_100km=Decimal(fuel) if fuel else None,
                    length_mm=length,
                    width_mm=width,
                    height_mm=height,
                    wheelbase_mm=wheelbase,
                    key_features=[*features, *extras],
                    msrp=Decimal(msrp).quantize(_MONEY),
                )
            )
    Trim.objects.bulk_create(trims)
    created += len(trims)
    colours: list[Colour] = []
    options: list[Option] = []
    for trim in trims:
        start = _pick(trim.code, len(EXTERIORS))
        for step in range(2 + _pick(trim.code + "ext", 4)):
            code, name, extra = EXTERIORS[(start + step * 3) % len(EXTERIORS)]
            colours.append(
                Colour(trim=trim, kind=ColourKind.EXTERIOR, code=code, name=name, extra_price=Decimal(extra))
            )
        for code, name, extra in INTERIORS[: 1 + _pick(trim.code + "int", 2)]:
            colours.append(
                Colour(trim=trim, kind=ColourKind.INTERIOR, code=code, name=name, extra_price=Decimal(extra))
            )
        first = _pick(trim.code + "opt", len(OPTIONS))
        for step in range(2 + _pick(trim.code + "nopt", 3)):
            code, name, price, package, contents = OPTIONS[(first + step) % len(OPTIONS)]
            options.append(
                Option(
                    trim=trim,
                    code=code,
                    name=name,
                    price=Decimal(price),
                    is_package=package,
                    contents=contents.split("、") if contents else [],
                )
            )
    Colour.objects.bulk_create(colours)
    Option.objects.bulk_create(options)
    return created + len(colours) + len(options)


def _load_store(store: Store, index: int) -> int:
    created = 0
    codes = STORE_BRANDS[store.code]
    if sorted(store.brands or []) != sorted(codes):
        store.brands = codes
        store.save(update_fields=["brands"])
    trims = list(
        Trim.objects.filter(series__brand__code__in=codes, is_active=True)
        .select_related("series__brand")
        .order_by("id")
    )
    now = timezone.now()
    if not MarkedPrice.objects.filter(store=store).exists():
        prices = []
        for trim in trims:
            discount = Decimal(1000 * (1 + _pick(f"{store.code}{trim.code}", 8)))
            current = (trim.msrp - discount).quantize(_MONEY)
            if _pick(trim.code + "hist", 3) == 0:  # a third of the trims had a higher price before
                prices.append(
                    MarkedPrice(
                        store=store,
                        trim=trim,
                        price=trim.msrp,
                        valid_from=now - datetime.timedelta(days=120),
                        note="上市标价",
                    )
                )
            prices.append(
                MarkedPrice(
                    store=store, trim=trim, price=current, valid_from=now - datetime.timedelta(days=45), note="月度调价"
                )
            )
        MarkedPrice.objects.bulk_create(prices)
        created += len(prices)
    if not StockVehicle.objects.filter(store=store).exists():
        created += _load_stock(store, index, trims)
    return created


def _load_stock(store: Store, index: int, trims: list[Trim]) -> int:
    colours: dict[int, dict[str, list[Colour]]] = {}
    for colour in Colour.objects.filter(trim__in=trims).order_by("id"):
        colours.setdefault(colour.trim_id, {}).setdefault(colour.kind, []).append(colour)
    options: dict[int, list[Option]] = {}
    for option in Option.objects.filter(trim__in=trims).order_by("id"):
        options.setdefault(option.trim_id, []).append(option)
    wmi_of = {code: wmi for code, _n, _e, wmi in BRANDS}
    today = timezone.localdate()
    statuses = [StockStatus.IN_STOCK] * 6 + [StockStatus.IN_TRANSIT] * 2 + [StockStatus.RESERVED, StockStatus.SOLD]
    vehicles: list[StockVehicle] = []
    fitted: list[tuple[int, Option]] = []
    count = STOCK_PER_STORE[store.code]
    for n in range(count):
        trim = trims[_pick(f"{store.code}-trim-{n}", len(trims))]
        status = StockStatus.DELIVERED if n % 17 == 16 else statuses[_pick(f"{store.code}-st-{n}", len(statuses))]
        exteriors = colours[trim.pk][ColourKind.EXTERIOR]
        interiors = colours[trim.pk][ColourKind.INTERIOR]
        arrived = (
            today + datetime.timedelta(days=3 + n % 10)
            if status == StockStatus.IN_TRANSIT
            else today - datetime.timedelta(days=2 + _pick(f"{store.code}-age-{n}", 110))
        )
        vehicles.append(
            StockVehicle(
                store=store,
                vin=_vin(wmi_of[trim.series.brand.code], index, n),
                trim=trim,
                exterior=exteriors[n % len(exteriors)],
                interior=interiors[n % len(interiors)],
                status=status,
                location="" if status == StockStatus.IN_TRANSIT else LOCATIONS[n % len(LOCATIONS)],
                arrived_on=arrived,
                certificate_holder=CertificateHolder.LENDER if n % 4 == 0 else CertificateHolder.STORE,
            )
        )
        if n % 3 == 0 and options.get(trim.pk):
            fitted.append((n, options[trim.pk][0]))
    vehicles.extend(_demo_cars(store, index, trims, colours, wmi_of, today))
    StockVehicle.objects.bulk_create(vehicles)
    through = StockVehicle.options.through
    through.objects.bulk_create(through(stockvehicle_id=vehicles[n].pk, option_id=option.pk) for n, option in fitted)
    return len(vehicles) + len(fitted)


def _demo_cars(store, index, trims, colours, wmi_of, today) -> list[StockVehicle]:
    """4 demo cars: new-energy 8-character plates for electrified trims; one insured only 12 more days, one in
    maintenance."""
    city = "B" if store.code == "sz-futian" else "A"
    electrified = [t for t in trims if t.energy_type in ("bev", "phev", "erev")]
    fuelled = [t for t in trims if t.energy_type in ("ice", "hev")]
    picks = [electrified[0], electrified[len(electrified) // 2], electrified[-1], fuelled[len(fuelled) // 2]]
    plates = [f"粤{city}D{index}2{n}68" for n in range(3)] + [f"粤{city}{'8K2Q' if index == 0 else '6M3R'}{index}"]
    cars = []
    for n, (trim, plate) in enumerate(zip(picks, plates, strict=True)):
        cars.append(
            StockVehicle(
                store=store,
                vin=_vin(wmi_of[trim.series.brand.code], index, 90_000 + n),
                trim=trim,
                exterior=colours[trim.pk][ColourKind.EXTERIOR][0],
                interior=colours[trim.pk][ColourKind.INTERIOR][0],
                status=StockStatus.IN_STOCK,
                location="试驾车位",
                arrived_on=today - datetime.timedelta(days=200 + 30 * n),
                is_demo=True,
                plate=plate,
                insurance_expires_on=today + datetime.timedelta(days=12 if n == 1 else 150 + 40 * n),
                odometer_km=3200 + 2750 * n + 410 * index,
                demo_status=DemoStatus.MAINTENANCE if n == 2 else DemoStatus.AVAILABLE,
            )
        )
    return cars
