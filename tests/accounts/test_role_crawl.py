"""Every link a role is offered works for that role (#10 proof): no 403 or 404 behind a link on its pages.

Each demo role logs in, opens every entry of its navigation and every link found on those pages, and one level
further. Links of one shape (`/customers/N/`) are tried a few times, not for every row, so the crawl stays bounded.
"""

import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from dealerdesk.accounts.models import User

pytestmark = pytest.mark.django_db

ROLES = ["reception", "consultant", "manager", "care", "clerk", "storeadmin", "groupadmin"]
HREF = re.compile(r"""href=["']([^"'#][^"']*)["']""")
# Links that leave the product's pages, end the session or change the language are not part of a role's work.
NOT_CRAWLED = ("/static/", "/media/", "/logout", "/i18n/", "/api/", "/accounts/logout")
PER_SHAPE = 2
DEPTH = 3


def _links(html: str) -> list[str]:
    links = []
    for raw in HREF.findall(html):
        url = urldefrag(raw.replace("&amp;", "&"))[0]
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith(NOT_CRAWLED):
            continue
        links.append(url)
    return links


def _shape(url: str) -> str:
    parts = urlsplit(url)
    query_keys = sorted(p.split("=")[0] for p in parts.query.split("&") if p)
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(query_keys)


def _crawl(client: Client) -> tuple[dict[str, int], list[str]]:
    """Breadth-first from the home page: the answer of every visited URL and the URLs that failed."""
    answers: dict[str, int] = {}
    seen_shapes: dict[str, int] = {}
    failures: list[str] = []
    queue = deque([("/", 0, "(start)")])
    while queue:
        url, depth, found_on = queue.popleft()
        if url in answers:
            continue
        response = client.get(url, follow=True)
        answers[url] = response.status_code
        if response.status_code != 200:
            failures.append(f"{url} -> {response.status_code} (linked from {found_on})")
            continue
        if depth >= DEPTH or "text/html" not in response.get("Content-Type", ""):
            continue
        for link in _links(response.content.decode()):
            shape = _shape(link)
            if link in answers or seen_shapes.get(shape, 0) >= PER_SHAPE:
                continue
            seen_shapes[shape] = seen_shapes.get(shape, 0) + 1
            queue.append((link, depth + 1, url))
    return answers, failures


def test_every_link_a_role_is_offered_answers_200():
    # given the demo dealership (every kind of row exists; loaded once, the crawl only reads)
    call_command("demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    failures: list[str] = []
    for username in ROLES:
        # when each role, logged in and in Chinese, follows every link of its navigation and of the pages behind it
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(User.objects.get(username=username))
        answers, failed = _crawl(client)
        # then each answered 200 (a redirect is followed to its end) and the crawl reached real pages
        failures += [f"{username}: {line}" for line in failed]
        assert len(answers) >= 10, (username, answers)
    assert not failures, "\n".join(failures)
