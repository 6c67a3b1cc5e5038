"""Folding for people search (training/text_fold.py): variant kanji, kana, NFKC, numbers."""
import pytest

from training.records.search import condition
from training.text_fold import digits_query, fold, number_key, search_key


@pytest.mark.parametrize("written, typed", [
    ("髙橋", "高橋"), ("山﨑", "山崎"), ("德永", "徳永"), ("渡邊", "渡辺"), ("渡邉", "渡辺"),
    ("濱田", "浜田"), ("齋藤", "斎藤"), ("澤井", "沢井"),
    ("ｶﾀｶﾅ", "カタカナ"), ("ひらがな", "ヒラガナ"), ("ｶﾞｯｺｳ", "がっこう"),
    ("ＴＡＮＡＫＡ", "tanaka"), ("高橋　太郎", "高橋 太郎"), ("高橋 太郎", "高橋太郎"),
])
def test_variants_fold_to_the_same_key(written, typed):
    assert fold(written) == fold(typed)


def test_the_fold_keeps_everyday_kanji_apart():
    # The table lists 田 with 佃 and 機 with 机: everyday (JIS level 1) characters never fold.
    assert fold("田中") != fold("佃中") and fold("機") != fold("机")
    assert fold("髙橋") == "高橋" and fold("ひらがな") == "ヒラガナ" and fold("ｶﾀｶﾅ") == "カタカナ"


def test_full_width_digits_and_the_number_rule():
    assert digits_query("００４５１３") == "004513" and digits_query("45a") is None
    assert number_key("004513") == number_key("４５１３") == "4513"
    assert number_key("000") == "0" and number_key(None) is None and number_key("A0045") == "a0045"


def test_the_stored_key_holds_every_part_folded():
    key = search_key("髙橋 一郎", "たかはし いちろう", "T004513", "004513")
    assert key.split("\n") == ["高橋一郎", "タカハシイチロウ", "t004513", "004513"]


def test_query_rule_for_digits():
    # 3 digits or more: a part of the zero-stripped number; fewer: the whole number only.
    assert "LIKE" in str(condition("451")) and "LIKE" not in str(condition("45"))
    assert "LIKE" not in str(condition("000")) and "LIKE" not in str(condition("0045"))
    assert condition("　 ") is None
