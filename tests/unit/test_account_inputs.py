"""Issue 12, low findings as plain functions: e-mail addresses, self-registered login ids,
full-width formula characters, and the verification page's name mask."""
import pytest

from training.auth.accounts import normalise_login_id, self_registered_login_id_problem
from training.certificates.codes import mask_name
from training.email_addresses import EmailAddressError, normalise_email
from training.spreadsheet import csv_bytes, neutralise


@pytest.mark.parametrize("value", [
    "a@b.c\r\nBcc: x@y.z", "a@example.jp\nBcc: x@example.jp", "a@example.jp, b@example.jp",
    "山田 <a@example.jp>", "a@example.jp\x00", "not-an-email", "@example.jp", "a@", "a b@example.jp",
])
def test_bad_addresses_are_refused_with_a_japanese_message(value):
    with pytest.raises(EmailAddressError) as caught:
        normalise_email(value)
    assert "の形式が正しくありません" in str(caught.value)
    assert "\r" not in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(("value", "normal"), [
    ("taro@example.jp", "taro@example.jp"), (" Taro@Example.JP ", "Taro@example.jp"),
])
def test_good_addresses_are_normalised(value, normal):
    assert normalise_email(value) == normal


@pytest.mark.parametrize(("raw", "normal"), [("ＡＢＣ-taro", "ABC-taro"), (" taro.nerima ", "taro.nerima"),
                                             ("ｔａｒｏ＿１", "taro_1")])
def test_login_ids_are_nfkc_normalised(raw, normal):
    assert normalise_login_id(raw) == normal


@pytest.mark.parametrize(("login_id", "ok"), [
    ("taro.nerima", True), ("dai1-2315", True), ("Hanako_2026", True), ("abc", True),
    ("000101", False),          # a 職員番号: a later roster row needs it
    ("4512", False), ("1abc", False), ("-taro", False), (".taro", False), ("_taro", False),
    ("taro@example.jp", False), ("たろう", False), ("taro san", False), ("tarö", False),
    ("ab", False), ("a" * 65, False), ("", False),
])
def test_self_registered_login_id_rule(login_id, ok):
    assert (self_registered_login_id_problem(login_id) is None) is ok


@pytest.mark.parametrize("value", ["＝1+1", "＋81-3", "－2", "＠SUM(A1)", "=1", "+1", "-1", "@1"])
def test_full_width_formula_starts_are_neutralised(value):
    assert neutralise(value) == "'" + value


def test_csv_bytes_neutralises_full_width_starts():
    data = csv_bytes(["氏名"], [["＝HYPERLINK(\"x\")"], ["税務課＝"]]).decode("utf-8-sig")
    assert "'＝HYPERLINK" in data and "\r\n税務課＝\r\n" in data


@pytest.mark.parametrize(("name", "masked"), [
    ("李 明", "＊ ＊"), ("光が丘 健", "光＊＊ ＊"), ("𠮷田　花子", "𠮷＊ 花＊"), ("髙﨑", "髙＊"), ("李", "＊"),
    ("Li Ming", "L＊ M＊＊＊"),
])
def test_mask_name_hides_one_character_parts_too(name, masked):
    assert mask_name(name) == masked
