"""One-box search: names, pinyin and initials (heteronym surnames), mobiles, plates, VIN tails; scoped and ranked."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dealerdesk.customers import search
from dealerdesk.customers.search import SearchTooBroad, name_tokens, probes_for, search_customers
from dealerdesk.customers.services import customer_create, vehicle_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(store_a, make_staff):
    consultant = make_staff("consultant", store_a)
    made = {}
    for name, mobile in [
        ("张三丰", "13800138000"),
        ("曾小贤", "13900139001"),
        ("单田芳", "13700137002"),
        ("解晓东", "13600136003"),
        ("欧阳娜娜", "13500135004"),
        ("张三", "13400134005"),
    ]:
        made[name] = customer_create(actor=consultant, store=store_a, name=name, mobile=mobile)
    vehicle_add(actor=consultant, customer=made["张三丰"], brand="比亚迪", plate="粤B·D12345", vin="LSVAU2186N2012347")
    return consultant, made


def names(results):
    return [c.name for c in results]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("zsf", "张三丰"),
        ("zhangsanfeng", "张三丰"),
        ("sanfeng", "张三丰"),
        ("三丰", "张三丰"),
        ("zxx", "曾小贤"),
        ("cxx", "曾小贤"),  # 曾 read ceng
        ("zengxiaoxian", "曾小贤"),
        ("shantianfang", "单田芳"),
        ("dtf", "单田芳"),
        ("xiexiaodong", "解晓东"),
        ("jiexiaodong", "解晓东"),
        ("娜娜", "欧阳娜娜"),
        ("阳娜", "欧阳娜娜"),
        ("5004", "欧阳娜娜"),
        ("13500135004", "欧阳娜娜"),
        ("+86 135 0013 5004", "欧阳娜娜"),
        ("D12345", "张三丰"),
        ("粤BD123", "张三丰"),
        ("012347", "张三丰"),
    ],
)
def test_finds_by_every_kind_of_fragment(people, query, expected):
    consultant, _ = people
    assert expected in names(search_customers(consultant, query))


def test_exact_name_ranks_before_a_longer_name(people):
    consultant, _ = people
    assert names(search_customers(consultant, "张三"))[:2] == ["张三", "张三丰"]


def test_one_character_asks_for_more(people):
    consultant, _ = people
    with pytest.raises(SearchTooBroad):
        search_customers(consultant, "张")
    with pytest.raises(SearchTooBroad):
        search_customers(consultant, " 1 ")


def test_search_is_scoped_to_what_the_user_may_see(people, store_a, store_b, make_staff):
    owner, _ = people
    assert names(search_customers(owner, "zsf")) == ["张三丰"]
    other_consultant = make_staff("consultant", store_a)
    assert search_customers(other_consultant, "zsf") == []  # not their customer
    assert names(search_customers(make_staff("receptionist", store_a), "zsf")) == ["张三丰"]  # card view
    assert search_customers(make_staff("sales_manager", store_b), "zsf") == []  # another store


def test_results_are_capped_at_20(store_a, make_staff):
    consultant = make_staff("consultant", store_a)
    for i in range(25):
        customer_create(
            actor=consultant, store=store_a, name=f"王{'一二三四五六七八九十'[i % 10]}{i}", mobile=f"1390000{i:04d}"
        )
    assert len(search_customers(consultant, "wang")) == 20


def test_erased_and_merged_customers_have_no_tokens(people, make_staff, store_a):
    _, made = people
    customer = made["张三丰"]
    customer.erased_at = customer.created_at
    assert search.tokens_for(customer) == set()


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="张王李赵曾单解欧阳娜三丰小贤田芳晓东", min_size=2, max_size=5))
def test_every_fragment_of_two_or_more_characters_is_findable_by_token(name):
    tokens = name_tokens(name)
    for start in range(len(name) - 1):
        fragment = name[start : start + 2]
        probe = probes_for(fragment)[0].prefix
        assert any(t.startswith(probe) for t in tokens)
