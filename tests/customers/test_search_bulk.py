"""The bulk token builder of imports gives exactly the tokens of the one-by-one path."""

import random

from pypinyin.constants import PHRASES_DICT

from dealerdesk.customers.search import mobile_tokens, name_tokens, new_customer_tokens

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
HETERONYM_SURNAMES = "长单朴曾解查区仇盖种覃乐尉缪"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红玲燕春菊凤洁梅琳云雪荣行重长乐和朝都"


def test_new_customer_tokens_equal_name_and_mobile_tokens_for_every_kind_of_name():
    # given common names, names with heteronym surnames, names that are or contain pinyin phrases, and others
    rng = random.Random(7)
    names = {s + g for s in SURNAMES + HETERONYM_SURNAMES for g in GIVEN}
    chars = SURNAMES + HETERONYM_SURNAMES + GIVEN
    names |= {rng.choice(chars) + "".join(rng.choice(chars) for _ in range(rng.choice((1, 2, 3)))) for _ in range(3000)}
    phrases = sorted(p for p in PHRASES_DICT if 2 <= len(p) <= 3)
    names |= {rng.choice(SURNAMES) + phrase for phrase in rng.sample(phrases, 3000)}
    names |= set(rng.sample(phrases, 1000))
    names |= {
        "Wang Lei",
        "王 小明",
        "阿卜杜·热合曼",
        "王A",
        "〇",
        "长孙无忌",
        "李行长",
        "王〇〇",
        "单",
        "𠀀𠀁",
        "张三丰",
    }

    # then each gives the same tokens as name_tokens | mobile_tokens
    mismatched = [
        name
        for name in names
        if new_customer_tokens(name, "+8613800138000") != name_tokens(name) | mobile_tokens("+8613800138000")
    ]
    assert mismatched == []
    assert new_customer_tokens("张三丰", "+8613900139000") >= {"p:zhangsanfeng", "i:zsf", "t:9000"}
