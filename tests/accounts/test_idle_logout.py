"""The 30-minute idle logout works on every page (issue #10.5): what a person does renews the session, the page's
own refreshes (inbox badge every 60 s, reception desk every 10 s) do not, and a refresh that finds the session ended
sends the whole page to the login page."""

import datetime

import time_machine
from django.urls import reverse

from tests.clock import shanghai

BACKGROUND = {"HTTP_X_DEALERDESK_BACKGROUND": "1", "HTTP_HX_REQUEST": "true"}
START = shanghai(2026, 12, 31, 23, 40)  # the idle window crosses midnight and the year


def _minutes(n: int) -> datetime.datetime:
    return START + datetime.timedelta(minutes=n)


def test_activity_keeps_the_session_and_thirty_idle_minutes_end_it(store_a, make_staff, client):
    user = make_staff("consultant", store_a)
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(user)
        assert client.get(reverse("home")).status_code == 200
        # 29 minutes later the person clicks: still in, and the clock starts again
        clock.move_to(_minutes(29))
        assert client.get(reverse("home")).status_code == 200
        clock.move_to(_minutes(58))
        assert client.get(reverse("home")).status_code == 200
        # then 31 minutes without doing anything: logged out, and told why
        clock.move_to(_minutes(89))
        response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "由于长时间未操作" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_background_refreshes_do_not_keep_an_open_tablet_logged_in(store_a, make_staff, client):
    receptionist = make_staff("receptionist", store_a)
    desk = f"{reverse('reception_live')}?store={store_a.code}"
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(receptionist)
        assert client.get(reverse("home")).status_code == 200
        # the desk refreshes itself every 10 s and the badge every minute, for 30 minutes
        for second in range(10, 30 * 60 + 1, 10):
            clock.move_to(START + datetime.timedelta(seconds=second))
            assert client.get(desk, **BACKGROUND).status_code == 200
            if second % 60 == 0:
                assert client.get(reverse("inbox_badge"), **BACKGROUND).status_code == 200
        # when the next refresh comes past the 30 minutes
        clock.move_to(_minutes(30) + datetime.timedelta(seconds=10))
        response = client.get(desk, HTTP_HX_CURRENT_URL=f"http://testserver/desk/?store={store_a.code}", **BACKGROUND)
    # then the whole page is sent to the login page (not the login form swapped into the desk)
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("login")) and "next=%2Fdesk%2F" in response["HX-Redirect"]
    assert "_auth_user_id" not in client.session
    assert "由于长时间未操作" in client.get(response["HX-Redirect"]).content.decode()
