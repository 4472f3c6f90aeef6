"""A consultant logs in in Chinese, switches to English, sees the home page, logs out."""

import re

from playwright.sync_api import expect

DEMO_PASSWORD = "Demo@2026"


def test_consultant_logs_in_in_chinese_switches_to_english_and_logs_out(live_app, page, shot):
    # given the login page, in Chinese by default
    page.goto(f"{live_app}/")
    expect(page).to_have_url(f"{live_app}/login/?next=/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    # when the consultant logs in
    page.get_by_label("用户名").fill("consultant")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()
    # then the home page greets them in Chinese with their store and role
    expect(page.get_by_test_id("welcome")).to_have_text("欢迎，王磊")
    expect(page.get_by_test_id("my-stores")).to_contain_text("深圳福田星耀4S店")
    expect(page.get_by_test_id("my-stores")).to_contain_text("销售顾问")
    shot("home-zh")
    # when they switch to English from their menu
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_test_id("welcome")).to_have_text("Welcome, 王磊")
    expect(page.get_by_test_id("my-stores")).to_contain_text("Sales consultant")
    shot("home-en")
    # and log out: the login page stays in their language
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(f"{live_app}/login/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    # the choice is kept with the user: back to Chinese, as the other browser tests expect of 王磊
    page.get_by_label("Username").fill("consultant")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("welcome")).to_have_text("Welcome, 王磊")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("lang-zh-hans").click()
    expect(page.get_by_test_id("welcome")).to_have_text("欢迎，王磊")


def test_wrong_password_shows_a_clear_message(live_app, page):
    page.goto(f"{live_app}/login/")
    page.get_by_label("用户名").fill("reception")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("用户名或密码不正确")


def test_manager_sees_store_activity_on_a_tablet(live_app, page, shot):
    page.goto(f"{live_app}/login/")
    page.get_by_label("用户名").fill("manager")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()
    # the store's latest activity (other browser tests add to it), each entry under its readable label
    latest = page.get_by_test_id("recent-audit").locator("li span.fw-semibold").first
    expect(latest).to_have_attribute("title", re.compile(r"^[a-z_]+\.[a-z_]+$"))
    assert (latest.text_content() or "").strip() not in ("", latest.get_attribute("title"))
    page.set_viewport_size({"width": 768, "height": 1024})
    shot("manager-tablet")
