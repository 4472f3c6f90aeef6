"""In-sales end to end (standard ch. 5): the consultant 王磊 turns his customer's accepted offer into an order and a
contract the customer, he and the manager sign (the PDF names the VIN and the total); the manager records the deposit
and the balance; the clerk books the delivery, passes the PDI, collects the document pack and adds a gift; 王磊 hands
the car over with the signed confirmation; the clerk takes the registration from documents to plates; the customer's
timeline shows every step."""

import datetime
import io
import random
import re
import subprocess
from decimal import Decimal

from playwright.sync_api import Page, expect
from stdnum.cn import ric

from tests.pdfs import pdf_text as pdftotext

from .conftest import OUTPUT
from .test_presales_flow import NAME_CHARS, log_in, log_out, set_promotion, yuan_value

STORE = "sz-futian"


def pdf_text(page: Page, testid: str, name: str) -> str:
    with page.expect_download() as download:
        page.get_by_test_id(testid).click()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / name
    download.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    return subprocess.run(
        ["/usr/bin/pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True, timeout=30
    ).stdout


def draw_signature(page: Page, canvas_selector: str) -> None:
    canvas = page.locator(canvas_selector)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 20, box["y"] + 60)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 60 + (15 if step % 2 else -15))
    page.mouse.up()


def _free_stock_car(page: Page, live_app: str, trim_select) -> tuple[str, str, list[str]]:
    """A vehicle in stock (not a demo car) of a trim the builder offers: the trim's value in the builder, the car's
    exterior colour and its fitted options, from the stock page. The offer is built for exactly that car (its colour
    and options priced), so the order form shows it enabled: a car of another colour or options is shown disabled.
    A car in a standard colour without options comes first (the offer then needs neither)."""
    options = trim_select.locator("option").evaluate_all("els => els.map(e => [e.value, e.textContent])")
    builder_url = page.url
    page.goto(f"{live_app}/catalog/stock/?store={STORE}&status=in_stock&demo=0")
    rows = page.get_by_test_id("stock-row").evaluate_all(
        "rows => rows.map(r => [r.querySelector('td a').href, r.cells[1].textContent.trim(),"
        " r.cells[2].textContent.split('/')[0].trim()])"
    )
    cars = []  # (no options?, trim value, exterior colour, fitted options)
    for href, row, exterior in rows:
        series, _, trim = row.partition(" ")
        value = next((v for v, text in options if v and series in text and trim in text), None)
        if value is None or exterior in ("", "—"):
            continue
        page.goto(href)
        cell = page.locator("tr", has=page.locator("th", has_text=re.compile("已装选装|Fitted options"))).locator("td")
        fitted = [o.strip() for o in (cell.first.text_content() or "").split("、") if o.strip() not in ("", "—")]
        cars.append((bool(fitted), value, exterior, fitted))
    page.goto(builder_url)
    assert cars, f"no trim of the builder has a vehicle in stock: {rows}"
    _has_options, value, exterior, fitted = min(cars, key=lambda car: car[0])
    return value, exterior, fitted


def resident_id() -> str:
    """A valid resident ID number (Futian district, a 1980s birthday), as tests/sales/helpers.py makes them."""
    born = datetime.date(1980, 1, 1) + datetime.timedelta(days=random.randrange(3650))
    body = f"440304{born:%Y%m%d}{random.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")  # it reads the first 17 of 18


def record_id_number_and_address(page: Page, id_number: str, address: str) -> None:
    """On the open customer page: record the resident ID number (edit details) and add the address as a contact
    method, which the contract states for the buyer."""
    customer_url = page.url
    page.get_by_test_id("edit-customer").click()
    page.get_by_test_id("edit-form").locator("input[name=id_number]").fill(id_number)
    page.get_by_test_id("edit-submit").click()
    expect(page).to_have_url(re.compile(re.escape(customer_url.split("#")[0])))
    expect(page.get_by_test_id("id-masked")).to_contain_text(id_number[-4:])
    page.get_by_test_id("toggle-contact").click()
    contact = page.get_by_test_id("contact-form")
    contact.locator("select[name=kind]").select_option("address")
    contact.locator("input[name=value]").fill(address)
    page.get_by_test_id("contact-submit").click()
    expect(page.get_by_test_id("contact-row").filter(has_text=address)).to_be_visible()


def create_customer_with_accepted_offer(
    page: Page, live_app: str, name: str, mobile: str, *, id_number: str, address: str
) -> str:
    """As 王磊: register the customer with the ID number and address the contract states, build an offer for a car in
    stock as it stands (its colour and options), save it, record the acceptance.

    Returns the offer's URL."""
    page.goto(f"{live_app}/customers/new/")
    page.locator("#id_name").fill(name)
    page.locator("#id_mobile").fill(mobile)
    page.get_by_test_id("customer-submit").click()
    expect(page.get_by_text(name).first).to_be_visible()
    record_id_number_and_address(page, id_number, address)

    page.goto(f"{live_app}/offers/")
    page.get_by_test_id("new-offer").click()
    search = page.get_by_test_id("offer-customer-search")
    search.locator("input[name=q]").fill(mobile)
    search.get_by_role("button").click()
    page.get_by_test_id("offer-customer-results").get_by_role("link", name=name).click()
    expect(page.get_by_test_id("offer-customer")).to_have_text(name)
    trim_select = page.get_by_test_id("offer-trim")
    trim, exterior, fitted = _free_stock_car(page, live_app, trim_select)
    trim_select.select_option(trim)
    expect(page.locator("#trim-choices input[name=rendered_trim]")).to_have_value(trim)
    preview = page.get_by_test_id("offer-preview")
    expect(preview.get_by_test_id("offer-total")).to_be_visible()
    # the car in stock as it stands: its exterior colour and its fitted options, priced
    colour = page.get_by_test_id("offer-colour")
    value = next(
        o.get_attribute("value")
        for o in colour.locator("option").all()
        if re.search(rf"·\s*{re.escape(exterior)}(\s*\(|$)", (o.text_content() or "").strip())
    )
    with page.expect_response(lambda r: "/offers/preview/" in r.url and r.request.method == "POST"):
        colour.select_option(value)
    for option in fitted:
        box = page.locator("#trim-choices .form-check", has_text=option).get_by_test_id("offer-option")
        with page.expect_response(lambda r: "/offers/preview/" in r.url and r.request.method == "POST"):
            box.check()
    # the plain marked price, without promotions: nothing for a manager to approve
    chosen = preview.get_by_test_id("promotion-row").filter(has=page.locator("input[name=promotions]:checked"))
    while chosen.count():
        set_promotion(page, chosen.first, checked=False)
    expect(preview.get_by_test_id("offer-needs-approval")).to_have_count(0)
    page.get_by_test_id("offer-save").click()
    expect(page.get_by_test_id("offer-accept")).to_be_visible()
    page.get_by_test_id("offer-accept").click()
    expect(page.get_by_test_id("offer-new-order")).to_be_visible()
    return page.url


def test_accepted_offer_to_signed_contract_paid_delivered_and_registered(live_app, page, shot):
    name = "交车" + "".join(random.choices(NAME_CHARS, k=3))
    mobile = f"137{random.randint(0, 99_999_999):08d}"
    id_number = resident_id()
    address = f"深圳市福田区福华三路{random.randint(1, 300)}号"

    # given 王磊's customer, whose ID number and address are on record, who accepted an offer
    log_in(page, live_app, "consultant")
    create_customer_with_accepted_offer(page, live_app, name, mobile, id_number=id_number, address=address)
    shot("1-offer-accepted")

    # when he turns it into an order reserving a vehicle in stock, with a deposit of 5,000
    page.get_by_test_id("offer-new-order").click()
    form = page.get_by_test_id("order-form")
    # the cars of the trim that are not the car of the offer are shown disabled, with the difference
    form.get_by_test_id("stock-choice").locator("input[name=stock_vehicle]:not([disabled])").first.check()
    form.locator("input[name=planned_delivery_on]").fill(_in_days(page, 3))
    form.locator("input[name=delivery_place]").fill("交车区 A")
    form.locator("input[name=deposit_amount]").fill("5000")
    shot("2-order-form")
    page.get_by_test_id("order-submit").click()
    # then the order shows the reserved VIN and the offer's total
    shown = (page.get_by_test_id("order-vin").text_content() or "").strip()
    vin = shown.split()[0]
    assert re.fullmatch(r"[A-HJ-NPR-Z0-9]{17}", vin), shown
    total_text = (page.get_by_test_id("order-total").text_content() or "").strip()
    total = yuan_value(total_text)
    order_url = page.url

    # when he prepares the contract from the order, reviews it with the customer and sends it to signatures
    # and the customer signs with the typed name, then he signs as the consultant
    contract_signed_by_customer_and_consultant(page, name)
    shot("3-contract-two-signatures")
    log_out(page)

    # when the manager signs for the store
    log_in(page, live_app, "manager")
    page.goto(order_url)
    page.get_by_test_id("sign-manager").click()
    # then the contract is signed, hashed and its PDF names the VIN and the total
    expect(page.get_by_test_id("contract-signed")).to_be_visible()
    assert re.fullmatch(r"[0-9a-f]{64}", (page.get_by_test_id("contract-sha256").text_content() or "").strip())
    text = pdf_text(page, "contract-pdf", "insales-contract.pdf")
    assert vin in text, text
    assert f"{total:,.2f}" in text, (total, text)
    assert name in text
    # and names the buyer's ID number, with no blank left to fill by hand
    signed = pdftotext((OUTPUT / "insales-contract.pdf").read_bytes())
    assert id_number in signed, signed
    assert "＿" not in signed, signed
    shot("4-contract-signed")

    # when the manager records the deposit and the balance, then nothing is due and the order is ready for delivery
    pay_in_full(page, deposit=Decimal("5000.00"), total=total, receipt="R" + mobile[-6:])
    shot("5-paid")
    log_out(page)

    # when the clerk books the delivery in two days at 11:00 (the demo deliveries are tomorrow and in three days)
    log_in(page, live_app, "clerk")
    # then the delivery page opens for the reserved car
    delivery_url = book_delivery(page, live_app, name, vin, day=_in_days(page, 2), time="11:00")
    # and passes every PDI item, adds a gift, and receives every document of the pack
    pass_every_pdi_item(page)
    gift_form = page.get_by_test_id("gift-add")
    gift_name = "行车记录仪"  # a demo gift in stock, beside the floor mats the store's gift rule already added
    _select_option_with(gift_form.locator("select[name=gift]"), gift_name)
    gift_form.get_by_role("button").click()
    expect(page.get_by_test_id("delivery-gifts")).to_contain_text(gift_name)
    receive_every_document(page, invoice_number="44" + mobile[-8:])
    shot("6-pack-complete")
    page.get_by_test_id("delivery-prepare").click()
    expect(page.get_by_test_id("delivery-status")).to_have_class(re.compile(r"\btext-bg-primary\b"))  # prepared
    log_out(page)

    # when 王磊 explains the car, records 12 km and the customer signs the confirmation with a drawn signature
    log_in(page, live_app, "consultant")
    page.goto(delivery_url)
    handover = page.get_by_test_id("handover-form")
    for box in handover.locator("input[name=explained]").all():
        box.check()
    page.locator("#odo").fill("12")
    page.get_by_test_id("handover-save").click()
    # the offer removed every promotion: no gift was promised, but any promised one is handed over first
    hand_over_every_promised_gift(page)
    # and photographs the car with its new owner
    page.get_by_test_id("photo-upload").locator("input[name=files]").set_input_files(
        files=[{"name": "交车合影.jpg", "mimeType": "image/jpeg", "buffer": _photo_jpeg()}]
    )
    page.get_by_test_id("photo-submit").click()
    expect(page.get_by_test_id("photo-count")).to_have_text("1 / 12")
    page.locator("#cname").fill(name)
    draw_signature(page, "[data-testid=confirm-form] canvas")
    shot("7-confirmation")
    page.get_by_test_id("confirm-submit").click()
    # then the car is handed over, the warranty runs and the confirmation PDF lists the VIN, the gift and 12 km
    expect(page.get_by_test_id("delivery-signed")).to_be_visible()
    expect(page.get_by_test_id("delivery-warranty")).to_be_visible()
    text = pdf_text(page, "delivery-pdf", "insales-delivery.pdf")
    assert vin in text and gift_name in text and "12" in text, text
    # the photo stays, served through the scoped view, and can no longer be removed
    thumbnail = page.get_by_test_id("handover-photos").locator("img")
    expect(thumbnail).to_have_count(1)
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth") > 0
    expect(page.locator("[data-testid^=photo-delete-]")).to_have_count(0)
    shot("8-handed-over")
    log_out(page)

    _register(page, live_app, name, vin, mobile, shot)

    # and the customer's timeline shows every step, from the order to the plate
    log_in(page, live_app, "consultant")
    page.goto(delivery_url)
    page.get_by_test_id("delivery-customer").get_by_role("link", name=name).click()
    timeline = page.get_by_test_id("timeline")
    for action in (
        "order.created",
        "contract.signed",
        "payment.received",
        "delivery.scheduled",
        "delivery.prepared",
        "delivery.handed_over",
        "order.delivered",
        "registration.opened",
        "registration.submitted",
        "registration.plate_recorded",
        "registration.completed",
    ):
        expect(timeline.locator(f"li[data-action='{action}']").first).to_be_visible()
    shot("10-timeline")


def contract_signed_by_customer_and_consultant(page: Page, name: str) -> None:
    """On the order, as the consultant: prepare the contract (no blocker left), send it to signatures; the customer
    signs with the typed name, then the consultant signs."""
    page.get_by_test_id("contract-create").click()
    expect(page.get_by_test_id("contract-blockers")).to_have_count(0)
    page.get_by_test_id("contract-submit").click()
    page.get_by_test_id("sign-customer").locator("input[name=typed_name]").fill(name)
    page.get_by_test_id("sign-customer-submit").click()
    page.get_by_test_id("sign-consultant").click()
    expect(page.get_by_test_id("sign-consultant")).to_have_count(0)


def pay_in_full(page: Page, *, deposit: Decimal, total: Decimal, receipt: str) -> None:
    """On the order, as the manager: record the deposit and the balance; nothing is left due."""
    _pay(page, "deposit", deposit, receipt + "1")
    _pay(page, "balance", total - deposit, receipt + "2")
    expect(page.get_by_test_id("order-due")).to_contain_text("0.00")


def book_delivery(page: Page, live_app: str, name: str, vin: str, *, day: str, time: str) -> str:
    """As the clerk: book the customer's handover from the store's calendar; the delivery page opens for the
    reserved car. Returns its URL."""
    page.goto(f"{live_app}/deliveries/?store={STORE}")
    book = page.get_by_test_id("delivery-book")
    _select_option_with(book.locator("select[name=order]"), name)
    book.locator("input[name=day]").fill(day)
    book.locator("input[name=time]").fill(time)
    page.get_by_test_id("delivery-book-submit").click()
    expect(page.get_by_test_id("delivery-vin")).to_have_text(vin)
    return page.url


def pass_every_pdi_item(page: Page) -> None:
    """On a delivery page, as the clerk: pass each PDI item (ticked in place)."""
    table = page.get_by_test_id("pdi-table")
    for code in table.locator("tr[data-item]").evaluate_all("rows => rows.map(r => r.dataset.item)"):
        page.get_by_test_id(f"pdi-pass-{code}").click()
        expect(table.locator(f"tr[data-item='{code}'] .text-bg-success")).to_be_visible()


def receive_every_document(page: Page, *, invoice_number: str) -> None:
    """On a delivery page, as the clerk: receive each document of the pack (the invoice with its number and today's
    date), waiting for each tick to land before the next, since a tick swaps its row in place."""
    receive = page.locator("[data-testid^=receive-]")
    for left in range(receive.count(), 0, -1):
        button = receive.first
        form = button.locator("xpath=ancestor::form")
        if form.locator("input[name=invoice_number]").count():
            form.locator("input[name=invoice_number]").fill(invoice_number)
            form.locator("input[name=invoice_date]").fill(_in_days(page, 0))
        button.click()
        expect(receive).to_have_count(left - 1)


def hand_over_every_promised_gift(page: Page) -> None:
    """On a delivery page, as the consultant: hand over each gift the signed contract promised."""
    pending = page.locator("[data-testid=promised-row][data-status=pending]")
    for left in range(pending.count(), 0, -1):
        pending.first.locator("[data-testid^=promised-hand-over-]").click()
        expect(pending).to_have_count(left - 1)


def _select_option_with(select, text: str) -> None:
    select.select_option(select.locator("option", has_text=text).first.get_attribute("value"))


def _in_days(page: Page, days: int) -> str:
    """The date `days` from today in the browser (the store's zone is the browser's in these tests)."""
    return page.evaluate(
        "d => { const t = new Date(); t.setDate(t.getDate() + d);"
        " return t.toLocaleDateString('sv-SE', {timeZone: 'Asia/Shanghai'}); }",
        days,
    )


def _pay(page: Page, kind: str, amount: Decimal, receipt: str) -> None:
    form = page.get_by_test_id("payment-form")
    form.locator("select[name=kind]").select_option(kind)
    form.locator("select[name=method]").select_option("transfer")
    form.locator("input[name=receipt_number]").fill(receipt)
    form.locator("input[name=amount]").fill(str(amount))
    page.get_by_test_id("payment-submit").click()
    expect(page.get_by_test_id("payment-table")).to_contain_text(receipt)


def _register(page: Page, live_app: str, name: str, vin: str, mobile: str, shot) -> None:
    """As the clerk: open the registration for the customer's order, collect every document, submit, record the
    new-energy plate (F: not purely electric) and hand licence and plates over."""
    log_in(page, live_app, "clerk")
    page.goto(f"{live_app}/registrations/")
    page.get_by_test_id("new-registration").click()
    form = page.get_by_test_id("open-form")
    _select_option_with(form.locator("select[name=order]"), name)
    page.get_by_test_id("open-submit").click()
    checklist = page.get_by_test_id("checklist")
    expect(checklist).to_be_visible()
    shot("9a-registration-checklist")
    for _ in range(20):
        receive = page.locator("form[data-testid^=receive-]")
        if not receive.count():
            break
        kind = (receive.first.get_attribute("data-testid") or "").removeprefix("receive-")
        receive.first.get_by_role("button").click()
        expect(page.get_by_test_id(f"received-{kind}")).to_be_visible()
    page.get_by_test_id("submit-form").get_by_role("button").click()
    plate = f"粤BF{random.randint(0, 99_999):05d}"
    plate_form = page.get_by_test_id("plate-form")
    plate_form.locator("input[name=plate]").fill(plate)
    plate_form.locator("input[name=licence_issued_on]").fill(_in_days(page, 0))
    plate_form.get_by_role("button").click()
    expect(page.get_by_test_id("plate")).to_have_text(plate)
    # handing the licence and plates over asks first (data-confirm): the clerk confirms
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("complete-form").get_by_role("button").click()
    expect(page.get_by_test_id("registration-status")).to_have_class(re.compile(r"\btext-bg-success\b"))  # completed
    expect(page.get_by_test_id("complete-form")).to_have_count(0)
    shot("9b-registration-complete")
    log_out(page)


def _photo_jpeg() -> bytes:
    """A real JPEG, as a phone would send it (the server re-encodes it without metadata)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), (30, 90, 160)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()
