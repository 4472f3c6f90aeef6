"""The contract's text: the default template (Chinese), its {{placeholders}} and filling them from an order.

A template is the store's text; `{{name}}` marks where a value of the order goes. The contract is a Chinese legal
document: values are rendered in Chinese whatever the user's language.
"""

import hashlib
import re
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from dealerdesk.catalog.choices import Origin
from dealerdesk.core import validators as v
from dealerdesk.offers.engine import line_text, yuan

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

# name → what it stands for (shown on the template page)
PLACEHOLDERS: dict[str, str] = {
    "contract_number": _("contract number"),
    "order_number": _("order number"),
    "sign_date": _("date of the contract"),
    "store_name": _("the store (seller)"),
    "store_address": _("the store's address"),
    "store_phone": _("the store's phone"),
    "customer_name": _("the customer (buyer)"),
    "customer_mobile": _("the customer's mobile"),
    "customer_id_number": _("the customer's resident ID number (in full: the signed contract is the legal document)"),
    "customer_address": _("the customer's address (the latest one on the customer page)"),
    "consultant": _("the sales consultant"),
    "vehicle": _("brand, series, model year and trim"),
    "vin": _("VIN, or the factory order reference"),
    "exterior": _("exterior colour"),
    "interior": _("interior colour"),
    "options": _("options fitted"),
    "price_lines": _("the price breakdown, line by line"),
    "gifts": _("the gifts promised with the car"),
    "services": _("the optional services agreed"),
    "marked_price": _("marked price"),
    "total": _("total price"),
    "deposit": _("deposit"),
    "balance": _("balance due at delivery"),
    "payment_method": _("payment method"),
    "delivery_date": _("planned delivery date"),
    "delivery_place": _("place of delivery"),
    "documents": _("documents handed over with the vehicle"),
    "warranty": _("warranty terms"),
    "amendment": _("what an amendment changes (for the original: a sentence saying it is the original)"),
}

DEFAULT_TEMPLATE_NAME = "汽车买卖合同（标准版）"

DEFAULT_TEMPLATE = """汽车买卖合同

合同编号：{{contract_number}}　　订单编号：{{order_number}}　　签订日期：{{sign_date}}

出卖人（甲方）：{{store_name}}
地址：{{store_address}}　　电话：{{store_phone}}
销售顾问：{{consultant}}
买受人（乙方）：{{customer_name}}　　身份证号码：{{customer_id_number}}
住址：{{customer_address}}　　联系电话：{{customer_mobile}}

甲乙双方根据《中华人民共和国民法典》及相关法律法规，在平等、自愿、诚实信用的基础上，就乙方向甲方购买汽车事宜达成如下协议：

第一条　车辆
车型：{{vehicle}}
车辆识别代号（VIN）/ 订车编号：{{vin}}
外观颜色：{{exterior}}　　内饰颜色：{{interior}}
选装配置：{{options}}

第二条　价款
价格明细：
{{price_lines}}
标价：{{marked_price}}
合同总价：{{total}}（含上述全部项目，此外甲方不收取任何其他费用）
随车赠品（不计价，交车时交付）：{{gifts}}
约定服务（已计入合同总价）：{{services}}

第三条　定金及付款方式
乙方于本合同签订时支付定金 {{deposit}}，余款 {{balance}} 于交车前付清。
付款方式：{{payment_method}}。以贷款方式付款的，贷款未获批准的，双方可协商变更付款方式或依本合同第八条解除合同。

第四条　交付
交车日期：{{delivery_date}}　　交车地点：{{delivery_place}}
甲方交车前完成车辆交付前检查（PDI），乙方当场验收。甲方交车时一并交付上述随车赠品；赠品如需替换，须经乙方在交车确认单上签字同意。

第五条　随车文件
甲方交车时向乙方交付：{{documents}}。

第六条　质量保证
{{warranty}}

第七条　违约责任
甲方逾期交车的，每逾期一日按合同总价的万分之五向乙方支付违约金；逾期超过三十日的，乙方有权解除合同，甲方双倍返还定金。
乙方逾期付款或提车的，每逾期一日按未付款项的万分之五向甲方支付违约金；逾期超过三十日的，甲方有权解除合同，定金不予退还。

第八条　合同的解除
本合同签订后，乙方单方解除合同的，定金不予退还；因甲方原因或车辆存在质量问题解除合同的，甲方全额退还乙方已付款项；贷款申请未获批准而解除合同的，甲方全额退还定金。
合同解除须经甲方销售经理确认，定金处理结果书面记录。

第九条　其他
本合同经双方签字（盖章）后生效；对本合同的任何变更均以书面补充协议（合同修订）形式作出，经双方签字后生效。
{{amendment}}
"""

DOCUMENTS = {
    Origin.DOMESTIC: "机动车整车出厂合格证、车辆一致性证书、三包凭证、产品使用说明书、保养手册、机动车销售统一发票",
    Origin.IMPORTED: "货物进口证明书、进口机动车辆随车检验单、车辆一致性证书、三包凭证、产品使用说明书、保养手册、"
    "机动车销售统一发票",
}

WARRANTY = (
    "整车质量保证期为自开具购车发票之日起3年或行驶里程60,000公里（以先到者为准）；"
    "三包有效期为自开具购车发票之日起2年或行驶里程50,000公里（以先到者为准），"
    "按《家用汽车产品修理更换退货责任规定》执行。"
)


def placeholders_in(body: str) -> list[str]:
    """The placeholder names a text uses, in order of appearance, without repeats."""
    return list(dict.fromkeys(PLACEHOLDER.findall(body)))


def unknown_placeholders(body: str) -> list[str]:
    return [name for name in placeholders_in(body) if name not in PLACEHOLDERS]


def render(body: str, values: dict[str, str], *, blank: str = "＿＿＿＿") -> str:
    """The text with every placeholder replaced; a value not known yet shows as a blank line to fill."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or blank, body)


def _local_mobile(mobile: str) -> str:
    """A Chinese mobile as written on paper (13800138000), other numbers as stored."""
    return mobile[3:] if mobile and mobile.startswith("+86") else (mobile or "")


# Personal numbers as they may stand in a contract text: a Chinese mobile (13800138000, +86 138 0013 8000) and an
# 18-character resident ID number. Not glued to other letters or digits, so a VIN or a contract number is left alone.
_EDGE_BEFORE, _EDGE_AFTER = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"
_MOBILE_IN_TEXT = re.compile(_EDGE_BEFORE + r"(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}" + _EDGE_AFTER)
_RESIDENT_ID_IN_TEXT = re.compile(_EDGE_BEFORE + r"\d{17}[\dXx]" + _EDGE_AFTER)


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def mask_personal_numbers(text: str, *, customer=None, store=None) -> str:
    """The text for the screen: the customer's mobile and ID number, and any other mobile or resident ID number in
    it, masked as on the customer page (138****8000, 1101**********1234). The store's own phone stays readable.

    The stored text and the signed PDF keep the full values: they are the legal document the customer receives;
    seeing them in full on screen is a reveal, which goes through the customer page and its access log.
    """
    if not text:
        return text or ""
    # the customer's own values first, as the contract writes them: this also covers numbers outside China
    if customer is not None:
        known = []
        if customer.mobile:
            shown = v.mask_mobile(customer.mobile)
            known += [(customer.mobile, shown), (_local_mobile(customer.mobile), shown)]
        if getattr(customer, "id_number", ""):
            known.append((customer.id_number, v.mask_resident_id(customer.id_number)))
        for value, shown in sorted(known, key=lambda pair: -len(pair[0])):
            if len(value) >= 5:  # never a short fragment that could match an amount or a date
                text = text.replace(value, shown)
    store_phone = _digits(getattr(store, "phone", "") or "")

    def _mobile(match: re.Match) -> str:
        digits = _digits(match.group(0))
        local = digits[2:] if len(digits) == 13 else digits
        if store_phone and store_phone.endswith(local):
            return match.group(0)
        return v.mask_mobile("+86" + local)

    text = _RESIDENT_ID_IN_TEXT.sub(lambda m: v.mask_resident_id(m.group(0)), text)
    return _MOBILE_IN_TEXT.sub(_mobile, text)


def masked_body(contract) -> str:
    """A contract's stored text with the personal numbers masked, for pages and the API."""
    return mask_personal_numbers(contract.body, customer=contract.customer, store=contract.store)


def _money(value: Decimal | None) -> str:
    return yuan(value) if value is not None else ""


# A gift line's label is "<promotion>: <what is given>" (offers.engine); what is given may list several items.
_GIFT_ITEM_SEPARATORS = re.compile(r"\s*(?:\+|＋|、|，|,|/|／|;|；|和)\s*")


def gift_line_items(label: str) -> list[str]:
    """The items a gift line promises, one by one: "购车礼: 行车记录仪 + 全车脚垫" → ["行车记录仪", "全车脚垫"]. A label
    without a description (the promotion's name only) is one item."""
    text = (label or "").replace("：", ":")
    if ":" in text:
        text = text.split(":", 1)[1]
    return [item for item in (part.strip() for part in _GIFT_ITEM_SEPARATORS.split(text)) if item]


def promised_gifts(price_lines) -> list[tuple[str, str]]:
    """Every gift item the order's price lines promise, in order, as (item, the gift line it comes from)."""
    items = []
    for line in price_lines or []:
        if isinstance(line, dict) and line.get("kind") == "gift":
            label = str(line.get("label", ""))
            items += [(item, label) for item in gift_line_items(label)]
    return items


def customer_address(customer) -> str:
    """The customer's latest address (a contact point of kind address), or ""."""
    from dealerdesk.customers.choices import ContactKind

    if customer is None or not customer.pk:
        return ""
    return (
        customer.contact_points.filter(kind=ContactKind.ADDRESS)
        .order_by("-created_at", "-id")
        .values_list("value", flat=True)
        .first()
        or ""
    )


def values_for(order, *, contract=None, changes: dict | None = None, today=None) -> dict[str, str]:
    """The placeholder values of an order (and its contract), in Chinese."""
    from .choices import PaymentMethod

    changes = changes or {}
    store = order.store
    with translation.override("zh-hans"):
        lines = []
        for line in order.price_lines or []:
            if line.get("kind") == "total":
                continue
            amount = "—" if line.get("kind") == "gift" else _money(Decimal(str(line.get("amount", "0"))))
            text = line_text(line.get("kind", ""), line.get("code", ""), line.get("label", ""))
            lines.append(f"  {text}：{amount}")
        options = "、".join(o.get("label", "") for o in order.options or []) or "无"
        gifts = "、".join(item for item, _source in promised_gifts(order.price_lines)) or "无"
        services = (
            "；".join(
                f"{line_text('service', line.get('code', ''), line.get('label', ''))} "
                f"{_money(Decimal(str(line.get('amount', '0'))))}"
                for line in order.price_lines or []
                if isinstance(line, dict) and line.get("kind") == "service"
            )
            or "无"
        )
        vehicle = order.stock_vehicle
        origin = order.trim.origin if order.trim_id else Origin.DOMESTIC
        payment_method = changes.get("payment_method", order.payment_method)
        deposit = Decimal(str(changes.get("deposit_amount", order.deposit_amount)))
        delivery_on = changes.get("planned_delivery_on", order.planned_delivery_on)
        if delivery_on is not None and not isinstance(delivery_on, str):
            delivery_on = delivery_on.isoformat()
        # the clause never stays blank: an original contract says so in a sentence
        amendment = "本合同为原合同，未经修订。"
        if contract is not None and contract.amends_id:
            amendment = (
                f"本合同为原合同（编号 {contract.amends.number}）的修订（第{contract.version}版），"
                f"修订原因：{contract.amendment_reason}。除本修订所列变更外，原合同其他条款不变。"
            )
        values = {
            "contract_number": contract.number if contract is not None else "",
            "order_number": order.number,
            "sign_date": (today or timezone.localtime(timezone.now(), store.tz).date()).isoformat(),
            "store_name": store.name,
            "store_address": store.address,
            "store_phone": store.phone,
            "customer_name": order.customer.name,
            "customer_mobile": _local_mobile(order.customer.mobile),
            "customer_id_number": order.customer.id_number or "",
            "customer_address": customer_address(order.customer),
            "consultant": str(order.consultant),
            "vehicle": str(order.trim) if order.trim_id else "",
            "vin": vehicle.vin
            if vehicle is not None
            else (f"订车 {order.factory_order_ref}" if order.factory_order_ref else ""),
            "exterior": order.exterior.name if order.exterior_id else "",
            "interior": order.interior.name if order.interior_id else "标准内饰",
            "options": options,
            "price_lines": "\n".join(lines),
            "gifts": gifts,
            "services": services,
            "marked_price": _money(order.marked_price_amount),
            "total": _money(order.total),
            "deposit": _money(deposit),
            "balance": _money(max(order.total - deposit, Decimal("0"))),
            "payment_method": str(PaymentMethod(payment_method).label) if payment_method else "",
            "delivery_date": delivery_on or "",
            "delivery_place": changes.get("delivery_place", order.delivery_place),
            "documents": DOCUMENTS.get(origin, DOCUMENTS[Origin.DOMESTIC]),
            "warranty": WARRANTY,
            "amendment": amendment,
        }
    return values


def stored_values(values: dict[str, str]) -> dict[str, str]:
    """The filled values as the contract keeps them to notice a changed order: the resident ID number only as its
    SHA-256 (the text and the signed PDF hold it; a third plain copy would serve nothing)."""
    kept = dict(values)
    if kept.get("customer_id_number"):
        kept["customer_id_number"] = "sha256:" + hashlib.sha256(kept["customer_id_number"].encode()).hexdigest()
    return kept
