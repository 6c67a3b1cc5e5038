"""Formula neutralisation for every leading character, and the CSV file shape."""
import csv
import io

import pytest

from training.spreadsheet import csv_bytes, neutralise


@pytest.mark.parametrize("value", ["=1+1", "+81-3", "-2", "@SUM(A1)", "\tTAB", "\rCR"])
def test_formula_starts_are_neutralised(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize(("value", "expected"), [("光が丘 健", "光が丘 健"), ("000123", "000123"), (None, ""),
                                                 (42, "42"), ("a=b", "a=b"), ("", "")])
def test_ordinary_values_are_unchanged(value, expected):
    assert neutralise(value) == expected


def test_csv_bytes_is_excel_ready():
    data = csv_bytes(["氏名", "所属"], [["=cmd", "税務課"], ["髙橋", '"引用"']])
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["氏名", "所属"], ["'=cmd", "税務課"], ["髙橋", '"引用"']]
