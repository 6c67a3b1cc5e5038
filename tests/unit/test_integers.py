"""Integers from requests: ASCII digits only, within the database INTEGER (issue 12)."""
import pytest
from werkzeug.routing import ValidationError

from training.integers import MAX_INT, IdConverter, is_ascii_digits, parse_int
from training.text_input import too_long


@pytest.mark.parametrize("value,expected", [
    ("0", True), ("0123", True), ("2147483648", True),
    ("", False), ("²", False), ("١٢", False), ("１２", False), ("-1", False), ("1.5", False), (" 1", False),
])
def test_is_ascii_digits(value, expected):
    assert is_ascii_digits(value) is expected


@pytest.mark.parametrize("value,expected", [
    ("1", 1), (" 2026 ", 2026), ("007", 7), (str(MAX_INT), MAX_INT), ("0" * 50 + "5", 5),
    (str(MAX_INT + 1), None), ("99999999999999999999", None), ("9" * 10_000, None),
    ("²", None), ("٣", None), ("-1", None), ("+1", None), ("", None), (None, None), (["1"], None),
])
def test_parse_int(value, expected):
    assert parse_int(value) == expected


def test_parse_int_range():
    assert parse_int("1999", minimum=2000, maximum=2100) is None
    assert parse_int("2100", minimum=2000, maximum=2100) == 2100


def test_id_converter_accepts_row_ids_only():
    converter = IdConverter(None)
    assert converter.to_python("42") == 42
    assert converter.to_url(42) == "42"
    for value in (str(MAX_INT + 1), "99999999999999999999"):
        with pytest.raises(ValidationError):
            converter.to_python(value)


def test_too_long_counts_characters_not_bytes():
    assert too_long("長" * 100, 100) is None
    assert too_long("長" * 101, 100) == "100文字以内で入力してください（いまは101文字です）。"
