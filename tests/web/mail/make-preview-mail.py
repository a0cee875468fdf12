#!/usr/bin/python3
"""tests/web/mail/make-preview-mail.py - writes preview_zip_xlsx.eml.

The .eml is committed; run this (Debian's /usr/bin/python3 with
python3-openpyxl and zip) only to change it. The mail of issue 18's
browser test: a body sentence, a ZIP with a plain Excel workbook inside
(sheet 参加者名簿), and an HTML attachment whose script must never run
on the approval page's origin.
"""
import io, os, zipfile
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr
from email import policy

import openpyxl

HERE = os.path.dirname(os.path.abspath(__file__))


def addr(name, a):
    return formataddr((str(Header(name, "utf-8")), a))


wb = openpyxl.Workbook()
ws = wb.active
ws.title = "参加者名簿"
for row in [("氏名", "所属", "内線"), ("山田 太郎", "総務課", "2345"),
            ("佐藤 花子", "保健福祉課", "3456"), ("鈴木 一郎", "税務課", "4567")]:
    ws.append(row)
x = io.BytesIO()
wb.save(x)
z = io.BytesIO()
with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
    info = zipfile.ZipInfo("説明会資料/参加者一覧.xlsx", (2025, 11, 24, 10, 0, 0))
    info.flag_bits |= 0x800
    zf.writestr(info, x.getvalue())

m = MIMEMultipart()
m["From"] = addr("保健福祉課 佐藤 花子", "sato-h@example.lg.jp")
m["To"] = addr("健診センター 受付", "uketsuke@kenshin-center.example")
m["Subject"] = Header("（案）① 説明会資料の送付", "utf-8")
m["Date"] = "Mon, 24 Nov 2025 11:00:00 +0900"
m["Message-ID"] = "<preview1.20251124110000@example.lg.jp>"
m.attach(MIMEText("健診センター 受付ご担当者様\n\n本日の説明会の資料を添付いたします。"
                  "ご確認ください。\n\nさくら区 保健福祉課 佐藤\n", "plain", "utf-8"))
a = MIMEApplication(z.getvalue(), _subtype="zip")
a.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "説明会資料.zip"))
m.attach(a)
h = MIMEText("<html><body><h1>案内</h1><script>document.title='pwned'</script>"
             "</body></html>", "html", "utf-8")
h.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "案内.html"))
m.attach(h)
m.set_boundary("=_sendguard_preview_test_=")
with open(os.path.join(HERE, "preview_zip_xlsx.eml"), "wb") as f:
    f.write(m.as_bytes(policy=policy.compat32.clone(linesep="\n")))
