#!/usr/bin/env python3
"""Writes the demo directory for Lạng Sơn (province 20): contacts.csv and rosters.csv.

    python3 deploy/demo/generate.py            # from the repository root

Everything is invented: the names are built from words that mean "sample",
"test" or "example", and the numbers come from the unallocated 030 block (see
README.md). The output is deterministic, so the files change only when this
script does.
"""

import csv
import io
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROVINCE = "20"

# Communes with deliberate gaps, so that the fallbacks can be seen:
#   06541 Mẫu Sơn: no commune duty at night or at weekends (police only on
#         weekday days) -> the chair in office hours, else the province.
#   06625 Kiên Mộc: the child-protection officer is new and has no roster yet,
#         and the police have no weekend day shift.
GAPS = {"06541", "06625"}
# The ward the end-to-end routing test uses: a child-protection officer is
# on duty round the clock (office hours plus an on-call officer).
ALWAYS_CP = {"05983"}

FAMILY = ["Hoàng", "Lương", "Nông", "Vi", "Lý", "Hà", "Chu", "Lộc", "Mã", "Hứa", "Đinh", "Triệu", "Lăng", "Dương"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quang"]
MIDDLE_F = ["Thị", "Thu", "Ngọc", "Thanh"]
# "sample", "test", "fake", "example", "illustration", "temporary", "model", "trial"
GIVEN = ["Mẫu", "Thử", "Giả", "Ví Dụ", "Minh Họa", "Tạm", "Mô Phỏng", "Thí Điểm"]


def person(n):
    """A clearly invented name, different for each n."""
    family = FAMILY[n % len(FAMILY)]
    female = (n // len(FAMILY)) % 2 == 1
    middle = (MIDDLE_F if female else MIDDLE_M)[(n // 3) % 4]
    given = GIVEN[(n * 5 + n // len(FAMILY)) % len(GIVEN)]
    return f"{family} {middle} {given}"


def phone(block, serial):
    """030 2BB BSSS: the unallocated 030 block, 2 for this demo, a 3-digit block, a 3-digit serial."""
    return f"0302{block:03d}{serial:03d}"


def read_communes():
    path = os.path.join(ROOT, "routing", "data", "communes.csv")
    with open(path, encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["province_code"] == PROVINCE]
    rows.sort(key=lambda r: r["code"])
    return rows


def main():
    communes = read_communes()
    if len(communes) != 65:
        sys.exit(f"expected 65 communes in province {PROVINCE}, found {len(communes)}")
    contacts = []  # id,name,role,unit_code,phone,channels,webhook_url,active
    shifts = []    # contact,kind,days,from,to,start,end,note
    n = 0

    def contact(key, name, role, unit, number):
        contacts.append([key, name, role, unit, number, "sms", "", "1"])

    def weekly(key, days, start, end):
        shifts.append([key, "weekly", days, "", "", start, end, ""])

    def override(key, kind, frm, to, start, end, note):
        shifts.append([key, kind, "", frm, to, start, end, note])

    for i, c in enumerate(communes, start=1):
        code, name, kind = c["code"], c["name"], c["type"]
        place = f"{kind} {name}"
        base = f"ls-{code}"

        # Child protection: office hours on weekdays.
        n += 1
        contact(f"{base}-cp", person(n), "commune_child_protection", code, phone(i, 1))
        if code != "06625":
            weekly(f"{base}-cp", "mon-fri", "07:30", "17:00")
        if code in ALWAYS_CP:
            # An on-call officer for the evenings, nights and weekends.
            n += 1
            contact(f"{base}-cp-oncall", person(n), "commune_child_protection", code, phone(i, 2))
            weekly(f"{base}-cp-oncall", "mon-fri", "17:00", "07:30")
            weekly(f"{base}-cp-oncall", "sat,sun", "07:30", "07:30")

        # Commune police: a day officer, a night duty desk and a weekend officer.
        contact(f"{base}-police-day", f"Công an {place} (ca ngày)", "commune_police", code, phone(i, 10))
        weekly(f"{base}-police-day", "mon-fri", "07:00", "19:00")
        if code != "06541":
            contact(f"{base}-police-night", f"Trực ban Công an {place} (ca đêm)", "commune_police", code,
                    phone(i, 11))
            weekly(f"{base}-police-night", "daily", "19:00", "07:00")
        if code not in GAPS:
            contact(f"{base}-police-weekend", f"Công an {place} (cuối tuần)", "commune_police", code, phone(i, 12))
            weekly(f"{base}-police-weekend", "sat,sun", "07:00", "19:00")

        # The chair (People's Committee) in several communes, office hours.
        if i % 4 == 0 or code in GAPS or code in ALWAYS_CP:
            n += 1
            contact(f"{base}-chair", person(n), "commune_chair", code, phone(i, 20))
            weekly(f"{base}-chair", "mon-fri", "07:30", "17:00")

    # Examples of overrides: leave over Tết 2026 with a colleague on extra
    # duty, and a swapped shift.
    first = communes[0]["code"]   # 05977 Đông Kinh
    second = communes[2]["code"]  # 05986 Tam Thanh
    override(f"ls-{first}-cp", "off", "2026-02-13", "2026-02-22", "", "", "Nghỉ Tết Bính Ngọ")
    override(f"ls-{first}-police-day", "on", "2026-02-16", "2026-02-20", "19:00", "07:00", "Tăng cường trực Tết")
    override(f"ls-{second}-police-day", "off", "2026-01-05", "", "", "", "Đổi ca với đồng chí ca cuối tuần")
    override(f"ls-{second}-police-weekend", "on", "2026-01-05", "", "07:00", "19:00", "Đổi ca")

    # Province: coordinators (office hours, weekday nights, weekends) and police.
    p = 900
    contact("ls-coordinator-day", f"{person(n + 1)} (điều phối, giờ hành chính)", "province_coordinator", PROVINCE,
            phone(p, 1))
    weekly("ls-coordinator-day", "mon-fri", "07:30", "17:00")
    contact("ls-coordinator-night", f"{person(n + 2)} (điều phối, trực đêm)", "province_coordinator", PROVINCE,
            phone(p, 2))
    weekly("ls-coordinator-night", "mon-fri", "17:00", "07:30")
    contact("ls-coordinator-weekend", f"{person(n + 3)} (điều phối, cuối tuần)", "province_coordinator", PROVINCE,
            phone(p, 3))
    weekly("ls-coordinator-weekend", "sat,sun", "07:30", "07:30")
    contact("ls-police-desk", "Trực ban Công an tỉnh Lạng Sơn", "province_police", PROVINCE, phone(p, 10))
    weekly("ls-police-desk", "daily", "00:00", "00:00")
    contact("ls-police-crime", f"{person(n + 4)} (Phòng Cảnh sát hình sự)", "province_police", PROVINCE,
            phone(p, 11))
    weekly("ls-police-crime", "mon-fri", "07:30", "17:00")

    # National: the hotline supervisors, two 12-hour shifts every day.
    contact("vn-111-day", "Giám sát Tổng đài 111 (ca ngày)", "hotline_supervisor", "VN", phone(999, 1))
    weekly("vn-111-day", "daily", "07:00", "19:00")
    contact("vn-111-night", "Giám sát Tổng đài 111 (ca đêm)", "hotline_supervisor", "VN", phone(999, 2))
    weekly("vn-111-night", "daily", "19:00", "07:00")

    write("contacts.csv", ["id", "name", "role", "unit_code", "phone", "channels", "webhook_url", "active"], contacts)
    write("rosters.csv", ["contact", "kind", "days", "from", "to", "start", "end", "note"], shifts)
    print(f"{len(contacts)} contacts, {len(shifts)} roster rows")


def write(name, header, rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="") as f:
        f.write(out.getvalue())


if __name__ == "__main__":
    main()
