#!/usr/bin/python3
"""tests/e2e/mail/make-demo-mail.py - writes the demo mails (demo*.eml).

The .eml files are committed; run this (Debian's /usr/bin/python3 with
python3-openpyxl) only to change them. Realistic mail of a ward office
(さくら区, example.lg.jp) as Outlook and Thunderbird write it.
"""
import io, os, struct
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr
from email import policy, charset

import openpyxl

HERE = os.path.dirname(os.path.abspath(__file__))
DATE = "Mon, 24 Nov 2025 10:{:02d}:00 +0900"


def addr(name, a):
    return formataddr((str(Header(name, "utf-8")), a))


def text_part(body):
    return MIMEText(body, "plain", "utf-8")


def write(name, msg, n):
    msg["Date"] = DATE.format(n)
    msg["Message-ID"] = "<demo%d.20251124100000@example.lg.jp>" % n
    data = msg.as_bytes(policy=policy.compat32.clone(linesep="\n"))
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def simple(name, n, frm, to, subject, body, cc=None):
    m = text_part(body)
    m["From"] = frm
    m["To"] = to
    if cc:
        m["Cc"] = cc
    m["Subject"] = Header(subject, "utf-8")
    write(name, m, n)


def with_attachment(name, n, frm, to, subject, body, fname, data, ctype):
    m = MIMEMultipart()
    m["From"] = frm
    m["To"] = to
    m["Subject"] = Header(subject, "utf-8")
    m.attach(text_part(body))
    a = MIMEApplication(data, _subtype=ctype)
    a.add_header("Content-Disposition", "attachment", filename=("utf-8", "", fname))
    m.attach(a)
    write(name, m, n)


TANAKA = addr("総務課 田中 一郎", "tanaka@example.lg.jp")
YAMADA = addr("株式会社さくらシステム 山田 太郎", "t.yamada@sakura-sys.example")
SIG = """
――――――――――――――――――――
さくら区 総務課
田中 一郎
電話 03-1234-5678（内線 2345）
tanaka@example.lg.jp
――――――――――――――――――――
"""

simple("demo1_clean.eml", 1, TANAKA, YAMADA, "定例会議の開催について",
       """株式会社さくらシステム
山田様

いつもお世話になっております。さくら区総務課の田中です。

下記のとおり定例会議を開催いたします。
ご多忙のところ恐縮ですが、ご出席くださいますようお願いいたします。

　日時：令和7年11月26日（水）10時00分～11時30分
　場所：さくら区役所 本庁舎3階 301会議室
　議題：文書管理システム更改の進捗について
""" + SIG)

simple("demo2_mynumber.eml", 2, addr("区民課 鈴木 花子", "suzuki-h@example.lg.jp"),
       addr("証明書コールセンター 担当者様", "center@cert-support.example"),
       "住民票の写しの交付申請に関するお問い合わせ",
       """証明書コールセンター ご担当者様

さくら区区民課の鈴木です。
本日お電話のあった件について、申請者の情報をお送りします。

　氏名：佐藤 健一
　生年月日：昭和58年4月12日
　個人番号：4821 7305 6197
　住所：さくら区桜町1-2-3

折り返し申請者にご連絡をお願いいたします。

さくら区 区民課 鈴木 花子
""")

wb = openpyxl.Workbook()
ws = wb.active
ws.title = "対象者一覧"
ws.append(["No", "氏名", "ふりがな", "生年月日", "住所", "電話番号"])
people = [("佐藤 健一", "さとう けんいち", "1983-04-12", "さくら区桜町1-2-3", "03-3456-7890"),
          ("高橋 美咲", "たかはし みさき", "1990-08-25", "さくら区梅が丘2-5-8", "090-2345-6789"),
          ("伊藤 大輔", "いとう だいすけ", "1975-12-03", "さくら区松原4-1-15", "080-3456-1234"),
          ("渡辺 由美", "わたなべ ゆみ", "1968-02-19", "さくら区桜町3-7-2", "03-3456-2211"),
          ("小林 翔太", "こばやし しょうた", "2001-06-30", "さくら区竹の台1-9-4", "070-1111-2222")]
for i, p in enumerate(people, 1):
    ws.append([i, *p])
buf = io.BytesIO()
wb.save(buf)
with_attachment("demo3_xlsx.eml", 3, addr("保健福祉課 佐藤 花子", "sato-h@example.lg.jp"),
                addr("健診センター 受付", "uketsuke@kenshin-center.example"),
                "令和7年度 特定健診 対象者名簿の送付",
                """健診センター 受付ご担当者様

さくら区保健福祉課の佐藤です。
令和7年度特定健診の対象者名簿を添付にてお送りします。
ご確認のほどよろしくお願いいたします。

さくら区 保健福祉課 佐藤 花子
""", "令和7年度_特定健診_対象者名簿.xlsx", buf.getvalue(),
                "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

simple("demo4_citizens.eml", 4, addr("保健福祉課 佐藤 花子", "sato-h@example.lg.jp"),
       ", ".join([addr("山本 さくら", "sakura.yamamoto1988@gmail.com"),
                  addr("中村 健太", "kenta_nakamura@yahoo.co.jp"),
                  addr("小川 美咲", "misaki-ogawa.0612@docomo.ne.jp")]),
       "健康づくりサポーター養成講座 説明会のご案内",
       """応募者各位

このたびは、さくら区「健康づくりサポーター養成講座」にお申し込みいただき、
誠にありがとうございます。下記のとおり説明会を開催いたします。

　日時：令和7年12月5日（金）午後2時～3時30分
　場所：さくら区役所 本庁舎5階 第1会議室

さくら区 保健福祉課 佐藤 花子
""")

exe = bytearray(1024)
exe[0:2] = b"MZ"
struct.pack_into("<I", exe, 0x3C, 0x80)
exe[0x80:0x84] = b"PE\0\0"
struct.pack_into("<HH", exe, 0x84, 0x14C, 1)
with_attachment("demo5_exe.eml", 5, TANAKA, YAMADA, "データ変換ツールの件",
                """株式会社さくらシステム
山田様

お世話になっております。さくら区総務課の田中です。
先日お話しした職員向けのデータ変換ツールを添付いたします。
動作をご確認いただけますでしょうか。
""" + SIG, "データ変換ツール.exe", bytes(exe), "octet-stream")

simple("demo6_class3.eml", 6, TANAKA, YAMADA,
       "【機密性3】住民情報システム改修に係る打合せ資料",
       """株式会社さくらシステム
山田様

打合せ資料を送付いたします。
取扱いには十分ご注意ください。
""" + SIG)

simple("demo7_internal.eml", 7, TANAKA, addr("総務課長", "kacho@example.lg.jp"),
       "【機密性2】予算要求資料（課内確認用）",
       """課長

予算要求資料の案を作成しました。
課内での確認をお願いいたします。

総務課 田中
""")
