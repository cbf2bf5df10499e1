import csv
import datetime as dt
import io
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from tongzhou.access.roles import Role
from tongzhou.audit.models import AuditEvent
from tongzhou.core.errors import ValidationFailed
from tongzhou.elders.idnumber import parse_id_number
from tongzhou.elders.importer import ImportFileError, elders_import
from tongzhou.elders.models import CategoryMembership, Elder

pytestmark = pytest.mark.django_db
HEADER = ["姓名", "身份证号", "联系电话", "镇街道", "村社区", "居住状况", "人员类别"]


def _rows(id_number: Callable[..., str], existing: str) -> tuple[list[list[str]], str]:
    good = id_number(dt.date(1940, 2, 2))
    rows = [
        [
            "王秀英",
            id_number(dt.date(1948, 1, 1), male=False),
            "13800000001",
            "昌国街道",
            "西安社区",
            "独居",
            "低保、独居",
        ],  # row 2 ok
        ["李国华", "330902194801011230", "", "昌国街道", "西安社区", "", ""],  # 3 bad check digit
        ["张明", id_number(), "", "昌国街道", "不存在社区", "", ""],  # 4 unknown village
        ["", id_number(), "", "昌国街道", "西安社区", "", ""],  # 5 missing name
        ["陈阿四", good, "", "", "盘峙村", "空巢", ""],  # 6 ok (unique name)
        ["陈阿四", good, "", "", "盘峙村", "", ""],  # 7 same as row 6
        ["赵大伯", existing, "", "昌国街道", "西安社区", "", ""],  # 8 already registered
        ["刘大妈", id_number(), "", "", "海滨社区", "", ""],  # 9 ambiguous name
        ["孙大爷", id_number(), "", "昌国街道", "西安社区", "", "外星人"],  # 10 unknown category
        ["周大爷", id_number(), "", "", "", "", ""],  # 11 missing village
        ["吴大爷", id_number(), "12", "昌国街道", "西安社区", "", ""],  # 12 bad phone
        ["郑阿婆", id_number(dt.date(1990, 1, 1)), "", "昌国街道", "西安社区", "", ""],  # 13 young
        ["", "", "", "", "", "", ""],  # 14 blank: skipped
        ["冯阿公", id_number(), "", "", "330902002002", "与子女同住", "空巢"],  # 15 ok by code
    ]
    return rows, good


def _expected_errors() -> dict[int, str]:
    return {
        3: "id_number_check_digit",
        4: "village_unknown",
        5: "missing_field",
        7: "elder_duplicate_in_file",
        8: "elder_duplicate",
        9: "village_ambiguous",
        10: "category_unknown",
        11: "missing_field",
        12: "phone_invalid",
        13: "too_young",
    }


def _csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_with_bad_rows_reports_each_and_imports_the_rest(
    make_user: Callable[..., Any],
    make_elder: Callable[..., Any],
    id_number: Callable[..., str],
    encoding: str,
) -> None:
    from tongzhou.core import crypto

    existing = make_elder("330902002001", name="赵大伯")
    rows, _good = _rows(id_number, crypto.decrypt(existing.id_number_encrypted))
    officer = make_user(Role.DISTRICT_OFFICER, region="330902")
    report = elders_import(
        actor=officer, handle=io.BytesIO(_csv_bytes(rows, encoding)), filename="名册.csv"
    )
    assert report.total_rows == 13
    assert report.imported == 3
    assert {e.row: e.code for e in report.errors} == _expected_errors()
    assert all(e.message_zh and e.message_en for e in report.errors)
    assert set(Elder.objects.values_list("name", flat=True)) == {
        "赵大伯",
        "王秀英",
        "陈阿四",
        "冯阿公",
    }
    wang = Elder.objects.get(name="王秀英")
    assert wang.living_arrangement == "alone"
    assert set(wang.memberships.values_list("category__code", flat=True)) == {
        "dibao",
        "living_alone",
    }
    assert Elder.objects.get(name="陈阿四").residence.code == "330902003201"
    assert AuditEvent.objects.filter(action="elder.create").count() == 4
    summary = AuditEvent.objects.get(action="elder.import")
    assert summary.after["failed_rows"] == sorted(_expected_errors())


def test_xlsx_import_through_the_command(
    tmp_path: Path, make_user: Callable[..., Any], id_number: Callable[..., str]
) -> None:
    make_user(Role.TOWN_OFFICER, region="330902002")
    from tongzhou.accounts.models import User

    username = User.objects.get(role=Role.TOWN_OFFICER).username
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(
        [
            "何阿婆",
            id_number(dt.date(1935, 7, 7), male=False),
            13900001111,
            "昌国街道",
            "西安社区",
            "独居",
            "",
        ]
    )
    sheet.append(["许阿公", id_number(), "", "沈家门街道", "新街社区", "", ""])  # outside 昌国
    path = tmp_path / "register.xlsx"
    workbook.save(path)
    out = StringIO()
    call_command("import_elders", str(path), "--user", username, "--lang", "en", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[0] == "rows: 2, imported: 1, rejected rows: 1"
    assert lines[1].startswith("row 3 [residence_out_of_scope]")
    assert Elder.objects.get().phone_masked == "139****1111"


def test_a_failure_while_writing_leaves_no_half_row(
    make_user: Callable[..., Any], id_number: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """If a row's category insert fails after its elder was inserted, neither remains."""
    officer = make_user(Role.DISTRICT_OFFICER, region="330902")
    rows = [
        ["甲", id_number(), "", "昌国街道", "西安社区", "", "低保"],
        ["乙", id_number(), "", "昌国街道", "西安社区", "", "低保"],
    ]
    original = CategoryMembership.objects.create
    calls = {"n": 0}

    def flaky_create(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            from tongzhou.core.errors import ValidationFailed

            raise ValidationFailed("write_failed", "写入失败", "write failed")
        return original(**kwargs)

    monkeypatch.setattr(CategoryMembership.objects, "create", flaky_create)
    report = elders_import(actor=officer, handle=io.BytesIO(_csv_bytes(rows)), filename="x.csv")
    assert report.imported == 1
    assert [e.code for e in report.errors] == ["write_failed"]
    assert list(Elder.objects.values_list("name", flat=True)) == ["甲"]
    assert CategoryMembership.objects.count() == 1


def test_files_that_cannot_be_imported(make_user: Callable[..., Any]) -> None:
    officer = make_user(Role.DISTRICT_OFFICER, region="330902")
    with pytest.raises(ImportFileError) as caught:
        elders_import(actor=officer, handle=io.BytesIO(b"a,b\n1,2\n"), filename="x.csv")
    assert caught.value.code == "import_missing_columns"
    with pytest.raises(ImportFileError) as caught:
        elders_import(actor=officer, handle=io.BytesIO(b"x"), filename="x.pdf")
    assert caught.value.code == "import_file_type"
    assert Elder.objects.count() == 0


def test_canteen_staff_cannot_import(
    make_user: Callable[..., Any], make_canteen: Callable[..., Any]
) -> None:
    from tongzhou.core.errors import PermissionDenied

    cashier = make_user(Role.CASHIER, canteen=make_canteen("330902002001"))
    with pytest.raises(PermissionDenied):
        elders_import(actor=cashier, handle=io.BytesIO(_csv_bytes([])), filename="x.csv")


def _look_alike(number: str, zero: str) -> str:
    """`number` with its digits written from another script's zero (full-width: "０")."""
    return "".join(chr(ord(zero) + int(c)) if c.isdigit() else c for c in number)


def test_one_id_number_in_look_alike_digits_is_one_elder(
    make_user: Callable[..., Any], id_number: Callable[..., str]
) -> None:
    number = id_number(dt.date(1944, 5, 6))
    spellings = [number, _look_alike(number, "０"), _look_alike(number, "٠"),
                 _look_alike(number, "०")]  # fmt: skip
    rows = [[f"林{i}", spelt, "", "昌国街道", "西安社区", "", ""] for i, spelt in
            enumerate(spellings)]  # fmt: skip
    officer = make_user(Role.DISTRICT_OFFICER, region="330902")
    report = elders_import(actor=officer, handle=io.BytesIO(_csv_bytes(rows)), filename="x.csv")
    assert report.imported == 1
    assert {e.row: e.code for e in report.errors} == {3: "elder_duplicate_in_file",
        4: "elder_duplicate_in_file", 5: "elder_duplicate_in_file"}  # fmt: skip
    assert Elder.objects.count() == 1


def test_odd_digits_are_read_or_refused_never_a_crash(id_number: Callable[..., str]) -> None:
    number = id_number(dt.date(1944, 5, 6))
    assert parse_id_number(number.replace("2", "²")).value == number  # superscript two
    # A Kharosthi digit is a digit to `str.isdigit`, and `int` refuses it.
    with pytest.raises(ValidationFailed) as refused:
        parse_id_number(number[:10] + "\U00010a40" + number[11:])
    assert refused.value.code == "id_number_characters"
