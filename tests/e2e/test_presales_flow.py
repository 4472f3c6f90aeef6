"""Pre-sales in the showroom: reception logs a walk-in and hands them to the next consultant up (王磊); he takes
their needs, reads the recommendation and records his advice, builds an offer on which two promotions of different
stacking groups stack, saves it and downloads its PDF, which names the customer and shows the total."""

import random
import re
import subprocess
from decimal import Decimal

from playwright.sync_api import Locator, Page, expect

from .conftest import OUTPUT

DEMO_PASSWORD = "Demo@2026"
STORE = "sz-futian"
CONSULTANT = "王磊"
# Two promotions of the demo data in different combinable groups that apply to every trim of the store: the group's
# anniversary discount (no condition) and the loan subsidy (the needs say "loan", so the builder ticks it).
STACKED = ("集团周年庆让利", "金融贴息")
NAME_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红"


def log_in(page: Page, live_app: str, username: str) -> None:
    page.goto(f"{live_app}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("welcome")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-submit")).to_be_visible()


def open_desk(page: Page, live_app: str) -> None:
    page.goto(f"{live_app}/showroom/?store={STORE}")
    expect(page.get_by_test_id("arrival-form")).to_be_visible()


def free_the_consultant(page: Page, live_app: str) -> None:
    """The desk is shared with the other browser tests: bring 王磊 back if absent, see his visitors out if busy."""
    for _ in range(10):
        open_desk(page, live_app)
        rotation = page.get_by_test_id("rotation")
        if rotation.get_by_test_id("rotation-free").filter(has_text=CONSULTANT).count():
            return
        not_in = rotation.get_by_test_id("rotation-not_in").filter(has_text=CONSULTANT)
        if not_in.count():
            not_in.get_by_test_id("mark-present").click()  # he has not logged in today: reception marks him in
            expect(rotation.get_by_test_id("rotation-not_in").filter(has_text=CONSULTANT)).to_have_count(0)
            continue
        absent = rotation.get_by_test_id("rotation-absent").filter(has_text=CONSULTANT)
        if absent.count():
            absent.get_by_role("button").click()  # "Back" (htmx swaps the live part)
            expect(rotation.get_by_test_id("rotation-absent").filter(has_text=CONSULTANT)).to_have_count(0)
            continue
        served = (
            page.get_by_test_id("served")
            .locator("tbody tr")
            .filter(has=page.locator("td", has_text=re.compile(f"^{CONSULTANT}$")))
        )
        if served.count():
            page.once("dialog", lambda dialog: dialog.accept())  # "Left" asks first
            served.first.get_by_role("button").click()  # "Left"
            expect(page.locator(".alert-success")).to_be_visible()
            continue
    open_desk(page, live_app)
    expect(page.get_by_test_id("rotation").get_by_test_id("rotation-free").filter(has_text=CONSULTANT)).to_be_visible()


def yuan_value(text: str) -> Decimal:
    """¥231,800.00 / -¥2,000.00 as a Decimal."""
    return Decimal(text.strip().replace("¥", "").replace(",", ""))


def set_promotion(page: Page, row: Locator, *, checked: bool) -> None:
    """Tick or untick a promotion and wait for the builder's live recalculation (none when it already is so)."""
    box = page.get_by_test_id("offer-preview").locator(
        f"[data-testid=promotion-row][data-promotion='{row.get_attribute('data-promotion')}'] input[name=promotions]"
    )
    if box.is_checked() == checked:
        return
    with page.expect_response(lambda r: "/offers/preview/" in r.url and r.request.method == "POST"):
        box.set_checked(checked)
    expect(box).to_be_checked(checked=checked)


def reception_logs_walk_in_for_wang_lei(page: Page, live_app: str, name: str, mobile: str, shot) -> str:
    """As the receptionist: log a first-visit walk-in of two, hand them to 王磊 (made free first), register the visitor
    (name, mobile, marketing-call consent). Returns the visit's URL; reception stays logged in."""
    log_in(page, live_app, "reception")
    # given the receptionist at the desk, with 王磊 free in the rotation
    free_the_consultant(page, live_app)
    shot("1-desk")

    # when she logs a first-visit walk-in of two in two taps
    arrival = page.get_by_test_id("arrival-form")
    arrival.get_by_role("group", name="到店人数").get_by_text("2", exact=True).click()
    arrival.get_by_role("group", name="到店类型").get_by_text("首次到店", exact=True).click()
    expect(page.get_by_test_id("kind-first")).to_be_checked()
    page.get_by_test_id("log-arrival").click()
    # then the anonymous visitor waits, the newest at the bottom, and 王磊 is next up
    expect(page.locator(".alert-success")).to_be_visible()
    waiting = page.get_by_test_id("waiting-visit")
    expect(waiting.last).to_be_visible()
    newest = waiting.last
    expect(newest.get_by_test_id("assign-next")).to_contain_text(CONSULTANT)
    shot("2-waiting")

    # when she hands the visitor to the next consultant up
    newest.get_by_test_id("assign-next").click()
    # then the visitor is with 王磊 (he has nobody else: he was free)
    served_row = (
        page.get_by_test_id("served")
        .locator("tbody tr")
        .filter(has=page.locator("td", has_text=re.compile(f"^{CONSULTANT}$")))
    )
    expect(served_row).to_have_count(1)
    expect(page.get_by_test_id("rotation").get_by_test_id("rotation-busy").filter(has_text=CONSULTANT)).to_be_visible()
    shot("3-assigned")

    # when she opens the visit and registers the visitor (name, mobile, consent)
    served_row.get_by_role("link").click()
    expect(page.get_by_test_id("visit-status")).to_be_visible()
    visit_url = page.url
    expect(page.get_by_test_id("visit-facts")).to_contain_text(CONSULTANT)
    register = page.get_by_test_id("register-form")
    register.locator("input[name=name]").fill(name)
    register.locator("input[name=mobile]").fill(mobile)
    register.locator("input[name=consents][value=marketing_call]").check()
    shot("4-register")
    register.get_by_role("button").click()
    # then the visit names the customer
    expect(page.get_by_test_id("visit-facts")).to_contain_text(name)
    shot("5-registered")

    return visit_url


def test_walk_in_is_assigned_advised_and_leaves_with_a_stacked_offer_pdf(live_app, page, shot):
    name = "测试" + "".join(random.choices(NAME_CHARS, k=4))
    mobile = f"139{random.randint(0, 99_999_999):08d}"

    # given reception logged a walk-in, handed them to 王磊 and registered them
    visit_url = reception_logs_walk_in_for_wang_lei(page, live_app, name, mobile, shot)
    log_out(page)

    # when 王磊 opens his visitor from the visits list and takes their needs
    log_in(page, live_app, "consultant")
    page.goto(f"{live_app}/showroom/visits/?store={STORE}")
    row = page.get_by_test_id("visit-list").locator("tbody tr").filter(has_text=name)
    expect(row).to_have_count(1)
    row.get_by_role("link").click()
    expect(page).to_have_url(visit_url)
    page.get_by_test_id("open-needs").click()
    needs = page.get_by_test_id("needs-form")
    expect(needs).to_be_visible()
    needs.locator("input[name=budget_min]").fill("150000")
    needs.locator("input[name=budget_max]").fill("260000")
    needs.locator("select[name=payment_method]").select_option("loan")
    needs.locator("select[name=timeframe]").select_option("month")
    needs.locator("select[name=body_type]").select_option("suv")
    needs.locator("input[name=seats]").fill("5")
    needs.locator("input[name=energy_types][value=bev]").check()
    needs.locator("input[name=energy_types][value=phev]").check()
    needs.locator("select[name=usage]").select_option("family")
    needs.locator("input[name=annual_km]").fill("15000")
    needs.locator("select[name=home_charging]").select_option("yes")
    needs.locator("input[name=must_have]").fill("全景天窗, 360 影像")
    shot("6-needs-form")
    page.get_by_test_id("save-needs").click()

    # then the recommendation ranks the store's trims with their reasons
    recommendations = page.get_by_test_id("recommendation")
    expect(recommendations.first).to_be_visible()
    expect(page.get_by_test_id("needs-summary")).to_contain_text("¥150,000")
    expect(recommendations.first.get_by_test_id("reason-fit").first).to_be_visible()
    shot("7-recommendation")
    recommended = [
        recommendations.nth(i).locator("input[name=trims]").get_attribute("value")
        for i in range(recommendations.count())
    ]
    # when he ticks the top trim and records the advice given
    recommendations.first.locator("input[name=trims]").check()
    page.get_by_test_id("advice-form").locator("textarea[name=notes]").fill("首推第一款，周末安排试驾")
    page.get_by_test_id("record-advice").click()
    expect(page.get_by_test_id("advice")).to_contain_text("首推第一款")

    # when he starts a new offer for the customer, found by mobile
    page.goto(f"{live_app}/offers/")
    page.get_by_test_id("new-offer").click()
    search = page.get_by_test_id("offer-customer-search")
    search.locator("input[name=q]").fill(mobile)
    search.get_by_role("button").click()
    page.get_by_test_id("offer-customer-results").get_by_role("link", name=name).click()
    expect(page.get_by_test_id("offer-customer")).to_have_text(name)
    # the situation comes from the needs: paying with a loan
    expect(page.locator("#f-loan")).to_be_checked()
    # and picks the best-ranked recommended trim that has a marked price
    trim_select = page.get_by_test_id("offer-trim")
    offered = set(trim_select.locator("option").evaluate_all("els => els.map(e => e.value)"))
    trim_id = next(t for t in recommended if t in offered)
    trim_select.select_option(trim_id)
    # then the live preview lists every promotion, eligible or not with the reason, and prices the best combination
    preview = page.get_by_test_id("offer-preview")
    expect(preview.get_by_test_id("offer-total")).to_be_visible()
    expect(preview.get_by_test_id("offer-best")).to_be_visible()
    expect(preview.get_by_test_id("promotion-reason").first).to_be_visible()
    rows = preview.get_by_test_id("promotion-row")
    for stacked in STACKED:
        expect(rows.filter(has_text=stacked)).to_have_attribute("data-eligible", "1")
    shot("8-offer-best")
    # when he offers the loan subsidy with the group's anniversary discount (two combinable groups) and nothing else
    others = rows.filter(has=page.locator("input[name=promotions]:checked"))
    for stacked in STACKED:
        others = others.filter(has_not_text=stacked)
    while others.count():
        set_promotion(page, others.first, checked=False)
    for stacked in STACKED:
        set_promotion(page, rows.filter(has_text=stacked), checked=True)
    # then both stack in the price, each as its own line, and the offer needs nobody's approval
    expect(preview.locator("input[name=promotions]:checked")).to_have_count(2)
    picked = rows.filter(has=page.locator("input[name=promotions]:checked"))
    groups = {(picked.nth(i).locator(".badge").first.text_content() or "").strip() for i in range(2)}
    assert len(groups) == 2, f"the stacked promotions come from different groups: {groups}"
    lines = preview.get_by_test_id("offer-lines")
    for stacked in STACKED:
        expect(lines.locator("tr[data-kind]").filter(has_text=stacked)).to_have_count(1)
    expect(preview.get_by_test_id("offer-needs-approval")).to_have_count(0)
    amounts = [
        yuan_value(cell) for cell in lines.locator("tr[data-kind] td:last-child").all_text_contents() if cell != "—"
    ]
    preview_total = (preview.get_by_test_id("offer-total").text_content() or "").strip()
    assert sum(amounts) == yuan_value(preview_total), (amounts, preview_total)
    shot("8-offer-builder")

    # when he saves the offer
    page.get_by_test_id("offer-save").click()
    # then the offer shows the customer, the chosen promotions and the total
    expect(page.get_by_test_id("offer-customer")).to_have_text(name)
    total = (page.get_by_test_id("offer-total").text_content() or "").strip()
    assert re.fullmatch(r"¥[\d,]+\.\d{2}", total), total
    assert total == preview_total
    chosen = page.get_by_test_id("offer-promotions").locator("li", has=page.locator(".bi-check-circle-fill"))
    expect(chosen).to_have_count(2)
    for stacked in STACKED:
        expect(chosen.filter(has_text=stacked)).to_have_count(1)
    expect(page.get_by_test_id("offer-pending")).to_have_count(0)
    shot("9-offer")

    # when he downloads the PDF
    with page.expect_download() as download:
        page.get_by_test_id("offer-pdf").click()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / "presales-offer.pdf"
    download.value.save_as(path)
    # then it is a PDF naming the customer, with the same total
    assert path.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    assert name in text, text
    assert total in text, text
    assert CONSULTANT in text, text
