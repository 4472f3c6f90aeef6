"""Reception quick-registers a walk-in for 王磊; he finds them by pinyin initials, grades them H, completes the
first follow-up and sees the next one planned; reception then sees only the masked mobile on the card."""

import random
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

DEMO_PASSWORD = "Demo@2026"


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


def test_walk_in_is_registered_found_by_initials_graded_and_followed_up(live_app, page, shot):
    name = "欧阳测试"
    national = f"139{random.randint(0, 99_999_999):08d}"
    masked = f"{national[:3]}****{national[-4:]}"

    # given the receptionist on the quick-register page
    log_in(page, live_app, "reception")
    page.goto(f"{live_app}/customers/")
    page.get_by_test_id("new-customer").click()
    expect(page.locator("#id_id_number")).to_have_count(0)  # the quick form asks only what reception needs
    # when she registers the walk-in for consultant 王磊, with consent to marketing calls
    page.locator("#id_name").fill(name)
    page.locator("#id_mobile").fill(f"{national[:3]} {national[3:7]} {national[7:]}")
    page.locator("#id_owner").select_option(label="王磊")
    page.locator("input[name=consents][value=marketing_call]").check()
    shot("1-quick-register")
    page.get_by_test_id("customer-submit").click()
    # then she is back on the form with a confirmation naming the consultant and the masked mobile
    registered = page.get_by_test_id("registered")
    expect(registered).to_contain_text(name)
    expect(registered).to_contain_text("王磊")
    expect(registered).to_contain_text(masked)
    shot("2-registered")
    log_out(page)

    # when 王磊 searches by the pinyin initials
    log_in(page, live_app, "consultant")
    page.goto(f"{live_app}/customers/")
    page.get_by_test_id("search-input").fill("oycs")
    page.get_by_test_id("search-submit").click()
    results = page.get_by_test_id("search-results")
    expect(results).to_contain_text(name)
    expect(page).to_have_url(f"{live_app}/customers/")  # the term never goes into the URL
    shot("3-search-by-initials")
    # and opens the customer
    results.get_by_role("link", name=name).first.click()
    expect(page.get_by_test_id("customer-name")).to_have_text(name)
    customer_url = page.url
    # and grades them H
    page.get_by_test_id("grade-form").locator("select").select_option("H")
    page.get_by_test_id("grade-submit").click()
    expect(page.get_by_test_id("customer-card").get_by_test_id("grade-badge")).to_have_text("H")
    # and completes the open follow-up: reached by phone, appointment made
    follow_up = page.get_by_test_id("followup-form").first
    follow_up.locator("select[name$='-channel']").select_option("phone")
    follow_up.locator("select[name$='-outcome']").select_option("appointment")
    follow_up.locator("textarea[name$='-notes']").fill("约周六上午到店试驾")
    shot("4-customer-card-graded")
    follow_up.get_by_test_id("followup-submit").click()
    # then the next follow-up is planned two days ahead (grade H) and shown on the card
    in_two_days = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)).strftime("%Y-%m-%d")
    expect(page.get_by_test_id("open-followup")).to_have_count(1)
    expect(page.get_by_test_id("followup-due")).to_contain_text(in_two_days)
    expect(page.get_by_test_id("next-follow-up")).to_contain_text(in_two_days)
    expect(page.get_by_test_id("timeline")).to_contain_text("N → H")
    shot("5-follow-up-done")
    # and revealing the mobile shows the full number
    page.get_by_test_id("reveal-mobile").click()
    expect(page.get_by_test_id("mobile-full")).to_have_text(national)
    log_out(page)

    # when the receptionist opens the card
    log_in(page, live_app, "reception")
    page.goto(customer_url)
    # then she sees the reduced card: masked mobile, owner, grade, and no reveal button
    expect(page.get_by_test_id("mobile-masked")).to_have_text(masked)
    expect(page.get_by_test_id("mobile-masked")).to_have_text(re.compile(r"^139\*{4}\d{4}$"))
    expect(page.get_by_test_id("customer-owner")).to_have_text("王磊")
    expect(page.get_by_test_id("reveal-mobile")).to_have_count(0)
    expect(page.get_by_test_id("reduced-card")).to_be_visible()
    shot("6-reception-card")
