"""Exports give times in Vietnam time and say so: an officer in Hà Nội reads 07:30, not 00:30."""

import csv
import datetime as dt
import io

from openpyxl import load_workbook

from bot.channels.web import exports
from bot.localtime import parse_day, show
from bot.services.records import UnansweredGroup

# 00:30 UTC on 7 December is 07:30 in Vietnam (UTC+7, no daylight saving).
ASKED = dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.UTC)
GROUP = UnansweredGroup("Tuổi nghỉ hưu?", 3, ASKED, "telegram", [("Tuổi nghỉ hưu?", 2), ("tuoi nghi huu", 1)])


def test_the_csv_names_the_zone_and_gives_vietnam_time():
    rows = list(csv.reader(io.StringIO(exports.unanswered_csv([GROUP]).decode("utf-8-sig"))))
    assert rows[0][3] == "Lần cuối (giờ Việt Nam)"
    assert rows[1][3] == "07/12/2026 07:30"


def test_the_xlsx_names_the_zone_and_gives_vietnam_time():
    sheet = load_workbook(io.BytesIO(exports.unanswered_xlsx([GROUP]))).active
    assert sheet["D1"].value == "Lần cuối (giờ Việt Nam)"
    assert sheet["D2"].value == "07/12/2026 07:30"


def test_times_from_sqlite_without_a_zone_are_utc_and_late_evenings_are_the_next_day():
    assert show(dt.datetime(2026, 12, 7, 18, 5)) == "08/12/2026 01:05"
    assert show("2026-12-07T18:05:00+00:00") == "08/12/2026 01:05"
    assert show(None) == ""


def test_days_are_typed_either_way_and_mistakes_are_none():
    assert parse_day("07/12/2026") == parse_day("2026-12-07") == dt.date(2026, 12, 7)
    assert parse_day("31/02/2026") is None and parse_day("hôm qua") is None and parse_day("") is None
