#!/usr/bin/python3
"""
NAME
    make-corpus.py - the labelled accuracy corpus of the personal-data and
    classification detectors

SYNOPSIS
    /usr/bin/python3 tests/corpus/make-corpus.py [OUTDIR]

DESCRIPTION
    Writes tests/corpus/*.eml and tests/corpus/labels.tsv (default OUTDIR:
    the directory of this script). Every message is the kind of mail a
    Japanese ward office sends out: 保健福祉課, 税務課, 区民課, 介護保険課 ...
    to contractors (委託業務), hospitals, banks and citizens. Each detector
    of rules/personal-data and each marking of rules/classification has
    positives and hard negatives (wrong check digits, 法人番号, T+13 invoice
    numbers, ISBN/JAN, order and tracking numbers, amounts, the sender's
    signature with phone and postal code, ordinary dates, all-staff
    notices, documents about a programme rather than a person, guidance
    that names a class without marking anything).

    Encodings: ISO-2022-JP written the way Outlook writes it (the text is
    encoded to CP932 and each double-byte code is converted to JIS, so the
    NEC row-13 characters ① ㈱ ㍻ appear as JIS row 13, which glibc's
    ISO-2022-JP refuses), Shift_JIS (CP932 bytes, 8bit and base64), UTF-8
    (base64, quoted-printable, 8bit), HTML bodies, multipart/alternative,
    full-width digits, and attachments: CSV in CP932, xlsx (openpyxl),
    docx (python-docx), Shift_JIS text, forwarded message/rfc822.

    labels.tsv: file, the comma-separated rule ids that `sendguardctl
    check` must report under the shipped configuration (category
    personal-data or classified; empty for a negative), and a note.
    My Numbers use POLICY.md's check digit, card numbers are Luhn-valid
    with a real issuer prefix, 法人番号 use the corporate check digit;
    every name, address and number is fictional. The output is the same
    bytes on every run (fixed dates, seeded choices, re-zipped Office
    files with fixed time stamps).

    Needs Debian's python3-openpyxl and python3-docx, hence /usr/bin/python3.
"""

import base64
import io
import os
import quopri
import random
import re
import sys
import unicodedata
import zipfile

import docx
import openpyxl

FIXED = (2025, 11, 18, 9, 30, 0)
RNG = random.Random(20251118)

# ---- numbers ---------------------------------------------------------------


def mynumber(d11):
    """POLICY.md: P1..P11 from the right, Q = n+1 (n<=6) or n-5."""
    s = sum(int(d11[11 - n]) * (n + 1 if n <= 6 else n - 5) for n in range(1, 12))
    r = s % 11
    return d11 + str(0 if r <= 1 else 11 - r)


def mynumber_ok(d):
    return len(d) == 12 and mynumber(d[:11]) == d and d != "0" * 12


def new_mynumber():
    return mynumber("".join(RNG.choice("0123456789") for _ in range(11)))


def wrong_check(n):
    """The same 12 digits with a check digit that is wrong."""
    good = mynumber(n[:11])[11]
    return n[:11] + str((int(good) + 4) % 10)


def luhn_ok(d):
    s = 0
    for i, c in enumerate(reversed(d)):
        v = int(c)
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        s += v
    return s % 10 == 0


def luhn_complete(prefix, length):
    body = prefix + "".join(RNG.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for c in "0123456789":
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def luhn_wrong(n):
    for c in "0123456789":
        if c != n[-1] and not luhn_ok(n[:-1] + c):
            return n[:-1] + c
    raise AssertionError


def corp_number(base12):
    """法人番号: check digit first, 9 - (sum P_n*Q_n mod 9), Q 1,2,1,2 from the right."""
    s = sum(int(c) * (1 if i % 2 == 0 else 2) for i, c in enumerate(reversed(base12)))
    return str(9 - s % 9) + base12


def ean13(d12):
    s = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(d12))
    return d12 + str((10 - s % 10) % 10)


def group(n, sep, sizes=(4, 4, 4)):
    out, i = [], 0
    for k in sizes:
        out.append(n[i:i + k])
        i += k
    return sep.join(out)


def fw(s):
    """Full-width digits, letters and hyphens, as typed with a Japanese IME."""
    out = []
    for c in s:
        if "0" <= c <= "9" or "A" <= c <= "Z" or "a" <= c <= "z":
            out.append(chr(ord(c) + 0xFEE0))
        elif c == "-":
            out.append("－")
        elif c == "/":
            out.append("／")
        elif c == ".":
            out.append("．")
        elif c == " ":
            out.append("\u3000")
        else:
            out.append(c)
    return "".join(out)


# ---- encodings -------------------------------------------------------------

# Characters that CP932 writes with another code point.
CP932_FIX = {"\u301c": "\uff5e", "\u2212": "\uff0d", "\u2014": "\u2015",
             "\u00a6": "\uffe4", "\u2016": "\u2225"}


def to_cp932(s):
    return "".join(CP932_FIX.get(c, c) for c in s).encode("cp932")


def cp932_to_jis(s):
    """ISO-2022-JP bytes as Outlook writes them (CP50220-like): the CP932
    double-byte codes, NEC row 13 included, converted to JIS X 0208 form."""
    b = to_cp932(s)
    out = bytearray()
    mode = "a"
    i = 0
    while i < len(b):
        c = b[i]
        if c < 0x80:
            if mode != "a":
                out += b"\x1b(B"
                mode = "a"
            out.append(c)
            i += 1
            continue
        if 0xA1 <= c <= 0xDF:
            raise ValueError("half-width katakana in an ISO-2022-JP text")
        c1, c2 = c, b[i + 1]
        if c1 >= 0xED:
            raise ValueError("IBM extension: not representable in JIS rows")
        if mode != "k":
            out += b"\x1b$B"
            mode = "k"
        r = c1 - (0xC1 if c1 >= 0xE0 else 0x81)
        if c2 >= 0x80:
            c2 -= 1
        if c2 >= 0x9E:
            out += bytes((r * 2 + 0x22, c2 - 0x9E + 0x21))
        else:
            out += bytes((r * 2 + 0x21, c2 - 0x40 + 0x21))
        i += 2
    if mode != "a":
        out += b"\x1b(B"
    return bytes(out)


def b64(data):
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + "\r\n"


def qp(data):
    return quopri.encodestring(data).decode().replace("\r\n", "\n").replace("\n", "\r\n")


def crlf(s):
    return s.replace("\r\n", "\n").replace("\n", "\r\n")


def enc_words(text, charset):
    """RFC 2047 words of at most 10 characters each, folded."""
    words = []
    for i in range(0, len(text), 10):
        chunk = text[i:i + 10]
        if charset == "ISO-2022-JP":
            raw = cp932_to_jis(chunk)
        elif charset == "Shift_JIS":
            raw = to_cp932(chunk)
        else:
            raw = chunk.encode()
        words.append("=?%s?B?%s?=" % (charset, base64.b64encode(raw).decode()))
    return "\r\n ".join(words)


def html_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text_to_html(text):
    paras = []
    for block in text.split("\n\n"):
        paras.append("<p>" + "<br>\r\n".join(html_escape(l) for l in block.split("\n")) + "</p>")
    return ("<html><head><meta charset=\"utf-8\"><style>p{margin:0 0 1em 0}</style></head>"
            "<body style=\"font-family:'MS Gothic'\">\r\n" + "\r\n".join(paras) + "\r\n</body></html>\r\n")


# ---- people, offices, signatures -------------------------------------------

SURNAMES = ["山田", "佐藤", "鈴木", "高橋", "伊藤", "渡辺", "中村", "小林", "加藤", "吉田",
            "山口", "松本", "井上", "木村", "林", "清水", "山崎", "森", "池田", "橋本",
            "阿部", "石川", "前田", "藤田", "小川", "岡田", "後藤", "長谷川", "村上", "近藤"]
GIVEN = ["太郎", "花子", "一郎", "美咲", "健太", "由美", "翔", "恵子", "大輔", "彩",
         "誠", "さくら", "直樹", "陽子", "拓也", "真由美", "浩", "明美", "亮", "優子"]
KANA_S = ["ヤマダ", "サトウ", "スズキ", "タカハシ", "イトウ", "ワタナベ", "ナカムラ", "コバヤシ",
          "カトウ", "ヨシダ", "ヤマグチ", "マツモト", "イノウエ", "キムラ", "ハヤシ", "シミズ",
          "ヤマザキ", "モリ", "イケダ", "ハシモト", "アベ", "イシカワ", "マエダ", "フジタ",
          "オガワ", "オカダ", "ゴトウ", "ハセガワ", "ムラカミ", "コンドウ"]
KANA_G = ["タロウ", "ハナコ", "イチロウ", "ミサキ", "ケンタ", "ユミ", "ショウ", "ケイコ", "ダイスケ",
          "アヤ", "マコト", "サクラ", "ナオキ", "ヨウコ", "タクヤ", "マユミ", "ヒロシ", "アケミ",
          "リョウ", "ユウコ"]
TOWNS = ["桜町", "若葉", "緑町", "本町", "東町", "西町", "南町", "北町", "中央", "桜台",
         "青葉", "花園", "旭町", "栄町", "富士見"]
MAIL_DOMAINS = ["gmail.com", "yahoo.co.jp", "docomo.ne.jp", "ezweb.ne.jp", "icloud.com",
                "softbank.ne.jp", "outlook.jp"]


def person(i):
    s, g = i % len(SURNAMES), (i * 7) % len(GIVEN)
    y = 1940 + (i * 13) % 65
    m = 1 + (i * 5) % 12
    d = 1 + (i * 11) % 28
    return {
        "name": SURNAMES[s] + " " + GIVEN[g],
        "name_nosp": SURNAMES[s] + GIVEN[g],
        "kana": KANA_S[s] + " " + KANA_G[g],
        "addr": "東京都さくら区%s%d-%d-%d" % (TOWNS[i % len(TOWNS)], 1 + i % 9, 1 + (i * 3) % 20, 1 + (i * 7) % 15),
        "tel": ("090-%04d-%04d" if i % 3 == 0 else "080-%04d-%04d" if i % 3 == 1 else "03-%04d-%04d")
        % (2000 + i * 37 % 8000, 1000 + i * 53 % 9000),
        "mail": "%s.%s%02d@%s" % (KANA_ROMA[s], GIVEN_ROMA[g], i % 100, MAIL_DOMAINS[i % len(MAIL_DOMAINS)]),
        "dob": "%04d/%02d/%02d" % (y, m, d),
        "y": y, "m": m, "d": d,
    }


KANA_ROMA = ["yamada", "sato", "suzuki", "takahashi", "ito", "watanabe", "nakamura", "kobayashi",
             "kato", "yoshida", "yamaguchi", "matsumoto", "inoue", "kimura", "hayashi", "shimizu",
             "yamazaki", "mori", "ikeda", "hashimoto", "abe", "ishikawa", "maeda", "fujita",
             "ogawa", "okada", "goto", "hasegawa", "murakami", "kondo"]
GIVEN_ROMA = ["taro", "hanako", "ichiro", "misaki", "kenta", "yumi", "sho", "keiko", "daisuke",
              "aya", "makoto", "sakura", "naoki", "yoko", "takuya", "mayumi", "hiroshi", "akemi",
              "ryo", "yuko"]

OFFICES = [
    ("さくら区 保健福祉部 保健福祉課 福祉係", "田中 花子", "tanaka-h", "2345"),
    ("さくら区 区民部 税務課 市民税係", "岡本 隆", "okamoto-t", "3120"),
    ("さくら区 区民部 区民課 戸籍住民係", "大野 理恵", "ono-r", "1502"),
    ("さくら区 健康福祉部 介護保険課 認定係", "小松 健二", "komatsu-k", "2671"),
    ("さくら区 健康福祉部 生活福祉課 保護第一係", "西田 智子", "nishida-t", "2810"),
    ("さくら区 子ども家庭部 子育て支援課", "原 雄一", "hara-y", "4011"),
    ("さくら区 総務部 総務課 情報政策係", "杉山 直美", "sugiyama-n", "1104"),
    ("さくら区 教育委員会 学務課", "野口 聡", "noguchi-s", "5203"),
    ("さくら区 会計管理室 出納係", "松田 由紀", "matsuda-y", "1310"),
]

PARTNERS = [
    ("株式会社さくらシステム", "営業部 山本様", "t.yamamoto@sakura-sys.example"),
    ("あおばデータサービス株式会社", "システム運用部 川村様", "kawamura@aoba-data.example"),
    ("社会福祉法人みどり福祉会", "相談支援センター ご担当者様", "soudan@midori-fukushi.example"),
    ("さくら総合病院", "医療連携室 ご担当者様", "renkei@sakura-hosp.example"),
    ("株式会社ひかり印刷", "制作部 石井様", "ishii@hikari-print.example"),
    ("さくら健診センター", "業務課 ご担当者様", "gyomu@sakura-kenshin.example"),
    ("株式会社はなみずき会計", "税務部 三浦様", "miura@hanamizuki-kaikei.example"),
    ("さくら介護サービス株式会社", "居宅介護支援事業所 菅原様", "sugawara@sakura-kaigo.example"),
    ("NPO法人あさひ子育てネット", "事務局 ご担当者様", "office@asahi-kosodate.example"),
    ("株式会社つばさ情報技術", "開発部 安田様", "yasuda@tsubasa-it.example"),
]


def signature(k, office):
    dept, who, local, ext = office
    style = k % 3
    tel = "03-%04d-%04d" % (5500 + k % 90, 1000 + k * 37 % 9000)
    if style == 0:
        return ("\n━━━━━━━━━━━━━━━━━━━━━━\n" + dept + "\n" + who + "\n"
                "〒160-%04d 東京都さくら区中央一丁目1番1号\n"
                "TEL: %s (内線 %s)  FAX: 03-5500-%04d\n"
                "E-mail: %s@example.lg.jp\n━━━━━━━━━━━━━━━━━━━━━━\n"
                % (8000 + k % 999, tel, ext, 9000 + k % 999, local))
    if style == 1:
        return ("\n-- \n" + dept + " " + who + "\n電話 %s 内線%s\n%s@example.lg.jp\n"
                % (tel, ext, local))
    return ("\n" + dept + "\n" + who + "\n〒160-%04d 東京都さくら区中央1-1-1 第二庁舎3階\n"
            "TEL %s / FAX 03-5500-%04d\n" % (8000 + k % 999, tel, 9000 + k % 999))


# ---- Office files and CSV ------------------------------------------------


def rezip(data):
    """Same members, fixed time stamps and order: reproducible bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                              b"2025-11-18T00:30:00Z", body)
            zi = zipfile.ZipInfo(info.filename, FIXED)
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, body)
    return out.getvalue()


def xlsx(sheets):
    """sheets: [(title, rows)]"""
    wb = openpyxl.Workbook()
    first = True
    for title, rows in sheets:
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = title
        for r in rows:
            ws.append(list(r))
    wb.properties.creator = "sakura-ku"
    out = io.BytesIO()
    wb.save(out)
    return rezip(out.getvalue())


def docx_file(paras, header=None, table=None):
    d = docx.Document()
    if header:
        d.sections[0].header.paragraphs[0].text = header
    for i, p in enumerate(paras):
        if i == 0:
            d.add_heading(p, level=1)
        else:
            d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for row, vals in zip(t.rows, table):
            for c, v in zip(row.cells, vals):
                c.text = v
    d.core_properties.author = "sakura-ku"
    out = io.BytesIO()
    d.save(out)
    return rezip(out.getvalue())


def csv_cp932(rows):
    return to_cp932("\r\n".join(",".join(r) for r in rows) + "\r\n")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# ---- messages ----------------------------------------------------------------

FORMATS = ["utf8-b64", "iso2022", "sjis", "utf8-qp", "html-utf8", "sjis-b64",
           "alt", "html-sjis", "utf8-8bit", "html-iso2022"]


def text_part(body, fmt, html=None):
    """Headers and content of the body part in one of FORMATS."""
    if fmt.startswith("html") or fmt == "alt":
        h = html if html is not None else text_to_html(body)
    if fmt == "utf8-b64":
        return ("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + b64(crlf(body).encode()))
    if fmt == "utf8-qp":
        return ("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + qp(crlf(body).encode()))
    if fmt == "utf8-8bit":
        return ("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + crlf(body))
    if fmt == "iso2022":
        return ("Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n",
                cp932_to_jis(crlf(body)))
    if fmt == "sjis":
        return ("Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
                to_cp932(crlf(body)))
    if fmt == "sjis-b64":
        return ("Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + b64(to_cp932(crlf(body))))
    if fmt == "html-utf8":
        return ("Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + qp(crlf(h).encode()))
    if fmt == "html-sjis":
        h = h.replace("charset=\"utf-8\"", "charset=\"shift_jis\"")
        return ("Content-Type: text/html; charset=Shift_JIS\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + b64(to_cp932(crlf(h))))
    if fmt == "html-iso2022":
        h = h.replace("charset=\"utf-8\"", "charset=\"iso-2022-jp\"")
        return ("Content-Type: text/html; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n",
                cp932_to_jis(crlf(h)))
    if fmt == "alt":
        return ('Content-Type: multipart/alternative; boundary="=_alt_b"\r\n\r\n',
                b"--=_alt_b\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n"
                b"Content-Transfer-Encoding: 7bit\r\n\r\n" + cp932_to_jis(crlf(body)) +
                b"\r\n--=_alt_b\r\nContent-Type: text/html; charset=UTF-8\r\n"
                b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp(crlf(h).encode()).encode() +
                b"\r\n--=_alt_b--\r\n")
    raise ValueError(fmt)


def as_bytes(part):
    if isinstance(part, tuple):
        return part[0].encode() + part[1]
    return part.encode()


def header_charset(fmt):
    if "iso2022" in fmt or fmt == "alt":
        return "ISO-2022-JP"
    if "sjis" in fmt:
        return "Shift_JIS"
    return "UTF-8"


def attachment_part(name, ctype, data, k):
    if ctype == "message/rfc822":
        return ("Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"%s\"\r\n\r\n"
                % name).encode() + data + b"\r\n"
    if k % 2 == 0:
        disp = "attachment; filename*=UTF-8''" + "".join("%%%02X" % b for b in name.encode())
        typ = ctype
    else:
        # Outlook: RFC 2047 ISO-2022-JP words in quoted name parameters.
        w = enc_words(name, "ISO-2022-JP").replace("\r\n ", "")
        disp = 'attachment; filename="%s"' % w
        typ = '%s; name="%s"' % (ctype, w)
    return ("Content-Type: %s\r\nContent-Disposition: %s\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            % (typ, disp)).encode() + b64(data).encode()


def message(name, k, subject, body, fmt, to=None, atts=(), html=None, office=None):
    office = office or OFFICES[k % len(OFFICES)]
    partner = PARTNERS[k % len(PARTNERS)]
    to = to or partner[2]
    cs = header_charset(fmt)
    mm = k % 60
    head = ("From: %s <%s@example.lg.jp>\r\nTo: %s\r\nSubject: %s\r\n"
            "Date: Tue, 18 Nov 2025 %02d:%02d:00 +0900\r\nMessage-ID: <corpus-%s@example.lg.jp>\r\n"
            "MIME-Version: 1.0\r\n"
            % (enc_words(office[0].split()[0] + " " + office[1], cs), office[2], to,
               enc_words(subject, cs), 9 + k // 60 % 9, mm, name.replace(".eml", "")))
    if "X-Mailer" not in head and k % 4 == 1:
        head += "X-Mailer: Microsoft Outlook 16.0\r\n"
    tp = as_bytes(text_part(body, fmt, html))
    if not atts:
        return head.encode() + tp
    out = (head + 'Content-Type: multipart/mixed; boundary="=_mix_b"\r\n\r\n'
           "This is a multi-part message in MIME format.\r\n\r\n--=_mix_b\r\n").encode() + tp
    for i, (an, ct, data) in enumerate(atts):
        out += b"\r\n--=_mix_b\r\n" + attachment_part(an, ct, data, k + i)
    return out + b"\r\n--=_mix_b--\r\n"


LAST_OFFICE = [None]
# The content of the last letter(): what names_eval reads (no greeting
# with the addressee, no signature: the detectors do not count them).
LAST_CONTENT = [None]


def letter(k, content, partner=None, office=None, greeting=True):
    """A business mail: addressee, greeting, content, closing, signature."""
    partner = partner or PARTNERS[k % len(PARTNERS)]
    office = office or OFFICES[k % len(OFFICES)]
    LAST_OFFICE[0] = office
    LAST_CONTENT[0] = content
    top = ""
    if greeting:
        top = (partner[0] + "\n" + partner[1] + "\n\nいつもお世話になっております。\n"
               + office[0].split()[-1] + "の" + office[1].split()[0] + "です。\n\n")
    return top + content.strip("\n") + "\n\nよろしくお願いいたします。\n" + signature(k, office)


def inner_mail(subject, body):
    return ("From: =?UTF-8?B?%s?= <renraku@sakura-hosp.example>\r\nTo: %s\r\n"
            "Subject: %s\r\nDate: Mon, 17 Nov 2025 16:05:00 +0900\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
            % (base64.b64encode("さくら総合病院 医療連携室".encode()).decode(),
               "tanaka-h@example.lg.jp", enc_words(subject, "ISO-2022-JP"))).encode() + cp932_to_jis(crlf(body))


# ---- the cases ---------------------------------------------------------------

CASES = []
CONTENT = []
K = [0]


def case(name, labels, note, subject, body, fmt, **kw):
    k = K[0]
    K[0] += 1
    if "office" not in kw and LAST_OFFICE[0] is not None:
        kw["office"] = LAST_OFFICE[0]
    LAST_OFFICE[0] = None
    fname = "%03d_%s_%s.eml" % (k + 1, name, fmt)
    CASES.append((fname, sorted(set(labels)), note, message(fname, k, subject, body, fmt, **kw)))
    CONTENT.append(LAST_CONTENT[0] if LAST_CONTENT[0] is not None and LAST_CONTENT[0] in body else body)
    LAST_CONTENT[0] = None


def fmt_of(i, offset=0):
    return FORMATS[(i + offset) % len(FORMATS)]


P = [person(i) for i in range(60)]


def era(y, m, d, style):
    """A birth date in one of the written forms."""
    if y >= 2019 and (y > 2019 or m >= 5):
        e, ab, ey = "令和", "R", y - 2018
    elif y >= 1989:
        e, ab, ey = "平成", "H", y - 1988
    elif y >= 1926:
        e, ab, ey = "昭和", "S", y - 1925
    else:
        e, ab, ey = "大正", "T", y - 1911
    yy = "元" if ey == 1 else str(ey)
    if style == "kanji":
        return "%s%s年%d月%d日" % (e, yy, m, d)
    if style == "abbr":
        return "%s%s.%d.%d" % (ab, yy if yy != "元" else "1", m, d)
    if style == "west":
        return "%d年%d月%d日" % (y, m, d)
    if style == "slash":
        return "%04d/%02d/%02d" % (y, m, d)
    raise ValueError(style)


def mynumber_cases():
    mn = [new_mynumber() for _ in range(40)]
    p = P
    # Positives.
    case("mn_keyword_space", ["mynumber"], "個人番号 4-4-4 (space) with keyword",
         "個人番号の照会について", letter(0, "下記の方の個人番号をお知らせします。\n\n氏名: %s\n個人番号: %s\n"
                                  % (p[0]["name"], group(mn[0], " "))), "utf8-b64")
    case("mn_keyword_hyphen_nec", ["mynumber"], "マイナンバー 4-4-4 hyphen, NEC ① in ISO-2022-JP",
         "マイナンバーの確認依頼", letter(1, "マイナンバー（個人番号）の確認をお願いします。\n"
                                  "①対象者: %s 様\n②番号: %s\n③確認書類: 運転免許証\n"
                                  % (p[1]["name"], group(mn[1], "-"))), "iso2022")
    case("mn_fullwidth_sjis", ["mynumber"], "full-width 12 digits, 番号確認, Shift_JIS",
         "番号確認書類の写し", letter(2, "番号確認書類（通知カード）の写しに記載の番号は %s です。\n"
                                "本人確認は完了しております。\n" % fw(mn[2])), "sjis")
    case("mn_fullwidth_ideographic_space", ["mynumber"], "full-width grouped by U+3000, ISO-2022-JP",
         "扶養親族の個人番号", letter(3, "扶養控除等申告書の記載内容を転記します。\n"
                                 "控除対象配偶者 %s　個人番号 %s\n" % (p[3]["name"], fw(group(mn[3], " ")))),
         "iso2022")
    case("mn_two_no_keyword", ["mynumber"], "two valid numbers without a keyword: medium",
         "申告書の記載内容", letter(4, "申告書の記載内容は下記のとおりです。\n"
                                "本人 %s %s\n配偶者 %s %s\n" % (p[4]["name"], mn[4], p[5]["name"], mn[5])),
         "utf8-qp")
    html = ("<html><body><p>%s<br>%s</p><p>いつもお世話になっております。</p>"
            "<p>本人確認のため、個人番号を記載します。</p><table border=1>"
            "<tr><th>氏名</th><td>%s</td></tr><tr><th>個人番号</th><td>%s</td></tr></table>"
            "<p>よろしくお願いいたします。</p></body></html>"
            % (PARTNERS[5][0], PARTNERS[5][1], p[6]["name"], fw(group(mn[6], "-"))))
    case("mn_html_table", ["mynumber"], "HTML table cell, full-width hyphenated",
         "本人確認書類について", "", "html-utf8", html=html)
    rows = [["No", "氏名", "フリガナ", "個人番号", "生年月日"]]
    for i in range(6):
        rows.append([str(i + 1), p[10 + i]["name"], p[10 + i]["kana"], mn[10 + i], p[10 + i]["dob"]])
    case("mn_xlsx", ["mynumber", "roster-table", "date-of-birth"], "xlsx with 個人番号 and 生年月日 columns",
         "【委託業務】給付対象者データ", letter(6, "給付処理用の対象者データを添付します。\n"), "utf8-b64",
         atts=[("給付対象者一覧.xlsx", XLSX, xlsx([("対象者", rows)]))])
    rows = [["氏名", "個人番号", "区分"]] + [[p[20 + i]["name"], mn[20 + i], "扶養"] for i in range(3)]
    case("mn_csv_cp932", ["mynumber", "roster-table"], "CSV CP932 with 個人番号 column",
         "扶養親族データの送付", letter(7, "年末調整用のデータをお送りします。\n"), "iso2022",
         atts=[("扶養親族.csv", "text/csv", csv_cp932(rows))])
    d = docx_file(["個人番号の提供について", "番号法第19条に基づき、下記の者の個人番号を提供します。",
                   "%s 個人番号 %s" % (p[24]["name"], group(mn[24], " "))])
    case("mn_docx", ["mynumber"], "docx paragraph with 番号法 and a number",
         "個人番号の提供", letter(8, "提供書を添付します。ご査収ください。\n"), "sjis-b64",
         atts=[("個人番号提供書.docx", DOCX, d)])
    inner = inner_mail("患者さんの番号確認", "マイナンバーカードで確認した番号です。\n%s\n" % group(mn[25], " "))
    case("mn_forwarded", ["mynumber"], "forwarded message/rfc822 with the number",
         "転送: 患者さんの番号確認", letter(9, "病院から届いたメールを転送します。\n"), "utf8-8bit",
         atts=[("転送メール.eml", "message/rfc822", inner)])
    txt = to_cp932(crlf("個人番号 照会結果\n氏名 %s\n個人番号 %s\n照会日 令和7年11月10日\n"
                        % (p[26]["name"], mn[26])))
    case("mn_txt_sjis", ["mynumber"], "Shift_JIS text attachment",
         "照会結果の送付", letter(10, "照会結果をテキストで添付します。\n"), "utf8-b64",
         atts=[("照会結果.txt", "text/plain", txt)])
    case("mn_subject_and_body", ["mynumber"], "keyword in the subject and number in the body",
         "個人番号の訂正（%s様）" % p[27]["name_nosp"],
         letter(11, "先日お送りした個人番号に誤りがありました。正しくは %s です。\n" % group(mn[27], "-")),
         "alt")
    case("mn_notification_card", ["mynumber"], "通知カード keyword, hyphenated number, HTML ISO-2022-JP",
         "通知カード記載事項", letter(12, "通知カードの記載事項を確認しました。\n番号: %s\n氏名: %s\n"
                                  % (group(mn[28], "-"), p[28]["name"])), "html-iso2022")
    # Hard negatives.
    bad = wrong_check(mn[30])
    case("mn_wrong_check_digit", [], "12 digits near 個人番号 with a wrong check digit",
         "個人番号カード交付申請の受付", letter(13, "個人番号カードの交付申請を受け付けました。\n"
                                         "申請書ID: %s\n交付通知書は後日郵送します。\n" % group(bad, " ")),
         "utf8-b64")
    bad2 = wrong_check(mn[31])
    case("mn_order_wrong_check", [], "order numbers with wrong check digits",
         "物品発注のご連絡", letter(14, "下記のとおり発注します。\n発注番号 %s\n納品番号 %s\n"
                                "納期: 令和7年12月5日\n" % (bad2, wrong_check(mn[32]))), "sjis")
    corp = corp_number("%012d" % 10001234567)
    case("mn_corporate_number", [], "法人番号 (13 digits) and 会社法人等番号",
         "入札参加資格の登録", letter(15, "入札参加資格の登録内容を確認しました。\n"
                                  "法人番号: %s\n会社法人等番号 0100-01-123456\n番号法の規定により、"
                                  "法人番号は公表されています。\n" % corp), "iso2022")
    inv = corp_number("%012d" % 11001088887)
    case("mn_invoice_number", [], "T + 13-digit invoice registration number",
         "請求書の送付", letter(16, "11月分の請求書を送付します。\n適格請求書発行事業者 登録番号 T%s\n"
                              "合計金額 1,234,560円（税込）\n" % inv), "utf8-qp")
    isbn = ean13("978453201234")
    jan = ean13("490123456789")
    case("mn_isbn_jan", [], "ISBN and JAN codes in a purchase mail",
         "図書購入のお願い", letter(17, "下記の図書を購入します。\nISBN%s-%s-%s-%s-%s\n"
                                "消耗品 JAN %s\n数量 各2\n" % (isbn[:3], isbn[3], isbn[4:7], isbn[7:12],
                                                            isbn[12], jan)), "html-utf8")
    # A tracking number that happens to pass the check digit, next to
    # マイナンバーカード: an order/tracking number, not a My Number.
    trk = None
    for i in range(100000):
        c = "%012d" % (345678900000 + i * 7919)
        if mynumber_ok(c):
            trk = c
            break
    case("mn_tracking_number_valid", [], "マイナンバーカード shipment: 追跡番号 that passes the check digit",
         "マイナンバーカード交付通知書の発送", letter(18, "マイナンバーカードの交付通知書を発送しました。\n"
                                             "お問い合わせ番号（追跡番号） %s\n到着は11月20日の予定です。\n"
                                             % group(trk, "-")), "sjis-b64")
    case("mn_single_valid_alone", [], "one 12-digit number that passes, alone, no keyword: low",
         "研修申込の受付", letter(19, "研修の申込を受け付けました。\n受付コード %s\n"
                               "当日は受付でお名前をお伝えください。\n" % trk), "alt")
    case("mn_card_is_longer", [], "16-digit number: not part of a My Number",
         "電子申請の受付", letter(20, "電子申請（マイナンバーカード認証）を受け付けました。\n"
                               "到達番号 %s\n" % "2025111812345678"), "utf8-b64")
    case("mn_dates_and_amounts", [], "マイナンバー制度の説明; dates, amounts, phone",
         "マイナンバー制度説明会の資料", letter(21, "マイナンバー制度説明会の資料を送付します。\n"
                                         "日時 2025年12月10日 14:00〜\n参加費 無料、予算額 123,456,789円\n"
                                         "問合せ 0120-95-0178\n"), "iso2022")


def card_cases():
    visa = luhn_complete("4", 16)
    mc = luhn_complete("53", 16)
    jcb = luhn_complete("3540", 16)
    amex = luhn_complete("37", 15)
    diners = luhn_complete("3614", 14)
    up = luhn_complete("6212", 16)
    visa2 = luhn_complete("49", 16)
    mc2 = luhn_complete("2221", 16)
    p = P
    case("card_visa_space", ["payment-card"], "Visa 4-4-4-4 with クレジットカード",
         "施設利用料の決済について", letter(30, "クレジットカードでのお支払い情報です。\n"
                                      "カード番号 %s\n有効期限 08/27\n" % group(visa, " ", (4, 4, 4, 4))),
         "utf8-b64")
    case("card_mc_hyphen_iso", ["payment-card"], "Mastercard hyphens, ISO-2022-JP",
         "オンライン決済の確認", letter(31, "オンライン決済の登録内容を確認してください。\n"
                                   "Mastercard %s\n名義 %s\n" % (group(mc, "-", (4, 4, 4, 4)), p[31]["kana"])),
         "iso2022")
    case("card_jcb_run", ["payment-card"], "JCB 16 digits in a row",
         "返金処理のお願い", letter(32, "返金先のカード情報です。\nJCB %s\n" % jcb), "sjis")
    case("card_amex_465", ["payment-card"], "Amex 4-6-5",
         "出張旅費の立替", letter(33, "American Express %s で立替払いしました。\n"
                             % (amex[:4] + " " + amex[4:10] + " " + amex[10:])), "utf8-qp")
    case("card_diners_464", ["payment-card"], "Diners 4-6-4, full-width, Shift_JIS base64",
         "会費の支払い", letter(34, "会費はダイナースクラブカード（Diners）で支払います。\nカード番号 %s\n"
                            % fw(diners[:4] + "-" + diners[4:10] + "-" + diners[10:])), "sjis-b64")
    case("card_two_no_keyword", ["payment-card"], "two Luhn-valid numbers without a keyword: medium",
         "返金対象の確認", letter(35, "返金対象は下記の2件です。\n%s\n%s\n" % (group(visa2, " ", (4, 4, 4, 4)),
                                                                   group(mc2, " ", (4, 4, 4, 4)))),
         "html-utf8")
    rows = [["日付", "利用者", "カード番号", "金額"]]
    for i, n in enumerate([visa, mc, jcb]):
        rows.append(["2025/11/%02d" % (i + 3), p[36 + i]["name"], n, "%d" % (3000 + i * 500)])
    case("card_csv", ["payment-card", "roster-table"], "決済ログ CSV CP932",
         "決済ログの送付", letter(36, "施設予約システムの決済ログです。\n"), "utf8-b64",
         atts=[("決済ログ.csv", "text/csv", csv_cp932(rows))])
    inner = inner_mail("カード払いの件", "クレジットカード番号 %s 有効期限 11/26\n" % group(up, " ", (4, 4, 4, 4)))
    case("card_forwarded", ["payment-card"], "UnionPay in a forwarded mail",
         "転送: カード払いの件", letter(37, "下記、転送します。\n"), "iso2022",
         atts=[("カード払いの件.eml", "message/rfc822", inner)])
    d = docx_file(["申込書", "支払方法: クレジットカード", "カード番号: %s" % group(visa, "-", (4, 4, 4, 4)),
                   "セキュリティコードは電話で確認済み"])
    case("card_docx", ["payment-card"], "docx application form",
         "申込書の送付", letter(38, "申込書を添付します。\n"), "alt", atts=[("申込書.docx", DOCX, d)])
    case("card_html_sjis", ["payment-card"], "HTML Shift_JIS, full-width Visa",
         "カード情報の変更", letter(39, "登録カードの変更をお願いします。\n新しいカード番号：%s\n"
                                "有効期限：１２／２８\n" % fw(group(visa2, "-", (4, 4, 4, 4)))), "html-sjis")
    # Negatives.
    case("card_luhn_wrong", [], "16 digits near カード番号, Luhn fails",
         "カード番号の照会", letter(40, "お問い合わせのカード番号 %s は無効との回答でした。\n"
                                "再度ご確認ください。\n" % group(luhn_wrong(visa), " ", (4, 4, 4, 4))),
         "utf8-b64")
    lib = luhn_complete("20", 16)
    case("card_library_card", [], "library card number: Luhn-valid, no card issuer",
         "図書館カードの再発行", letter(41, "図書館カードを再発行しました。\n新しいカード番号 %s\n"
                                   "旧カードは無効です。\n" % group(lib, " ", (4, 4, 4, 4))), "sjis")
    pt = luhn_complete("9", 16)
    case("card_point_card", [], "point card number with カード番号, no issuer prefix",
         "ポイントカードの登録", letter(42, "区内商店会ポイントカードの登録が完了しました。\n"
                                   "カード番号 %s\n" % pt), "iso2022")
    corp = None
    for i in range(200000):
        c = corp_number("%012d" % (10001000000 + i * 97))
        if c[0] == "4" and luhn_ok(c):
            corp = c
            break
    case("card_corp_number_visa_like", [], "法人番号 starting with 4, Luhn-valid by chance, near 決済",
         "電子決済代行業者の登録", letter(43, "電子決済代行業者の登録内容です。\n法人番号 %s\n"
                                      "登録番号 T%s\n" % (corp, corp)), "utf8-qp")
    jan = None
    for i in range(1000):
        c = ean13("4901234%05d" % (i * 37))
        if luhn_ok(c):
            jan = c
            break
    case("card_jan_codes", [], "JAN codes (49..., Luhn-valid by chance) near 決済",
         "消耗品の購入", letter(44, "消耗品を購入しました（法人カード決済）。\nJAN %s 数量 10\n"
                              "JANコード %s 数量 5\n" % (jan, ean13("450123456789"))), "utf8-b64")
    case("card_masked_last4", [], "card already masked, last 4 only",
         "カード決済の確認", letter(45, "カード決済（VISA 下4桁 1234）で支払済みです。\n"
                                "利用日 2025年11月10日 金額 12,800円\n"), "html-sjis")
    case("card_tracking_numbers", [], "16-digit 到達番号 and 14-digit tracking numbers, no issuer",
         "電子申請の到達番号", letter(46, "電子申請の到達番号をお知らせします。\n到達番号 %s\n"
                                   "発送伝票 %s\n" % ("2025111800012345", "80123456789012")), "alt")


def bank_cases():
    p = P
    case("bank_standard", ["bank-account"], "銀行 支店 普通 7 digits",
         "委託料の振込先", letter(50, "委託料の振込先は下記のとおりです。\n"
                               "さくら銀行 桜町支店 普通預金 口座番号 1234567\n口座名義 カ）サクラシステム\n"),
         "utf8-b64")
    case("bank_shinkin_toza", ["bank-account"], "信用金庫 当座, ISO-2022-JP with ㈱",
         "振込口座の変更届", letter(51, "振込口座を下記に変更します。\nみどり信用金庫 駅前支店 当座 7654321\n"
                                 "名義 ㈱あおばデータサービス\n"), "iso2022")
    case("bank_fullwidth", ["bank-account"], "full-width account number, Shift_JIS",
         "還付金の振込先", letter(52, "還付金の振込先を確認しました。\n金融機関：わかば銀行　本店営業部\n"
                               "口座番号：%s（普通）\n" % fw("0123456")), "sjis")
    case("bank_ja", ["bank-account"], "農協 account",
         "補助金の振込について", letter(53, "補助金の振込先です。\nさくら農協 本所 普通 %s 名義 %s\n"
                                   % ("2345678", p[53]["kana"])), "utf8-qp")
    case("bank_rokin", ["bank-account"], "労働金庫 in HTML",
         "給与振込口座の届出", letter(54, "給与振込口座の届出がありました。\n中央労働金庫 さくら支店\n"
                                   "普通 3456789\n"), "html-utf8")
    rows = [["氏名", "金融機関", "支店", "種別", "口座番号"]]
    for i in range(5):
        rows.append([p[40 + i]["name"], "さくら銀行", TOWNS[i] + "支店", "普通", "%07d" % (4000000 + i * 12347)])
    case("bank_csv", ["bank-account", "roster-table"], "振込口座一覧 CSV CP932",
         "児童手当 振込口座一覧", letter(55, "児童手当の振込口座一覧をお送りします。\n"), "utf8-b64",
         atts=[("振込口座一覧.csv", "text/csv", csv_cp932(rows))])
    d = docx_file(["口座振替依頼書", "金融機関名 ひかり銀行 中央支店", "預金種目 普通",
                   "口座番号 5678901", "口座名義 %s" % p[56]["kana"]])
    case("bank_docx", ["bank-account"], "口座振替依頼書 docx",
         "口座振替依頼書", letter(56, "口座振替依頼書を添付します。\n"), "sjis-b64",
         atts=[("口座振替依頼書.docx", DOCX, d)])
    case("bank_two_lines", ["bank-account"], "bank name on one line, 口座番号 on the next",
         "返金先口座のご連絡", letter(57, "返金先の口座をご連絡いたします。\nあさひ銀行 東支店\n"
                                  "口座番号 6789012\n"), "alt")
    case("bank_html_sjis", ["bank-account"], "HTML Shift_JIS",
         "振込先", letter(58, "振込先：さくら信金 本店 普通 %s\n" % fw("7890123")), "html-sjis")
    case("bank_iso_html", ["bank-account"], "HTML ISO-2022-JP, 振込口座",
         "報酬の振込口座", letter(59, "講師謝礼の振込口座を伺いました。\n振込口座 あおば銀行 北支店 "
                                "普通 8901234\n"), "html-iso2022")
    # Negatives.
    case("bank_amount_yen", [], "amount 1234567円 next to 銀行振込",
         "委託料のお支払い", letter(60, "委託料 1234567円 を さくら銀行 よりお振込みしました。\n"
                                "ご確認ください。\n"), "utf8-b64")
    case("bank_invoice_number", [], "請求書番号 (7 digits) near 銀行振込",
         "請求書の受領", letter(61, "請求書番号 2025112 を受領しました。銀行振込にて月末にお支払いします。\n"),
         "iso2022")
    case("bank_customer_number", [], "お客様番号 near 銀行",
         "口座振替の開始", letter(62, "口座振替の開始手続きが完了しました（さくら銀行）。\n"
                              "お客様番号 3141592\n"), "sjis")
    case("bank_postal_phone", [], "postal code without hyphen, phone, near 支店",
         "窓口の移転", letter(63, "さくら銀行 区役所出張所は移転しました。\n新住所 〒1600023 さくら区中央2-3-4\n"
                            "電話 0355001234\n"), "utf8-qp")
    case("bank_receipt_number", [], "受付番号 near 支店",
         "申請の受付", letter(64, "桜町支店からの申請を受け付けました。受付番号 5550123\n"), "html-utf8")
    case("bank_branch_code_only", [], "branch code, no account number",
         "口座登録のお願い", letter(65, "振込先の金融機関名、支店名（店番 123）、預金種目、口座番号を"
                                "登録フォームに入力してください。\n締切 2025年11月28日\n"), "alt")
    case("bank_signature_only", [], "a bank's mail: branch and phone only in the signature",
         "セミナーのご案内", "さくら区 会計管理室 ご担当者様\n\n自治体向け公金収納セミナーのご案内です。\n"
         "日時 2025年12月3日 10:00\n\nよろしくお願いいたします。\n\n-- \nさくら銀行 公務部 桜町支店\n"
         "TEL 03-5500-1234\n", "utf8-b64")


def japan_post_cases():
    p = P
    case("jp_kigo_bango", ["japan-post-account"], "ゆうちょ 記号 番号",
         "還付金の振込先（ゆうちょ）", letter(70, "振込先はゆうちょ銀行です。\n記号 12340 番号 56789011\n"
                                         "名義 %s\n" % p[0]["kana"]), "utf8-b64")
    case("jp_hyphen", ["japan-post-account"], "記号番号 with hyphen, ISO-2022-JP",
         "払戻先の確認", letter(71, "払戻先 ゆうちょ銀行 記号番号 10170-12345671\n"), "iso2022")
    case("jp_fullwidth", ["japan-post-account"], "full-width, Shift_JIS",
         "通常貯金の口座", letter(72, "通常貯金　記号：%s　番号：%s\n" % (fw("14010"), fw("23456781"))), "sjis")
    case("jp_html", ["japan-post-account"], "HTML UTF-8",
         "児童手当の振込先", letter(73, "児童手当の振込先（ゆうちょ銀行）\n記号 13120\n番号 98765431\n"),
         "html-utf8")
    rows = [["氏名", "記号", "番号", "備考"]] + [[p[i]["name"], "1%04d" % (2000 + i * 37), "%08d" % (10000001 + i * 1234567),
                                             "ゆうちょ"] for i in range(3)]
    case("jp_xlsx", ["japan-post-account"], "xlsx cells 記号, 番号 in a row",
         "口座一覧", letter(74, "ゆうちょ口座の一覧です。\n"), "utf8-b64",
         atts=[("ゆうちょ口座.xlsx", XLSX, xlsx([("口座", [[r[0], "記号 " + r[1], "番号 " + r[2], r[3]] for r in rows[1:]])]))])
    case("jp_alt", ["japan-post-account"], "multipart/alternative, 郵便貯金",
         "郵便貯金口座", letter(75, "郵便貯金の口座 記号15550-番号12345678 をご指定ください。\n"), "alt")
    case("jp_qp", ["japan-post-account"], "UTF-8 QP, 口座 and hyphen form",
         "謝礼の振込先", letter(76, "謝礼の振込先口座: ゆうちょ 18250 - 4567891\n"), "utf8-qp")
    case("jp_sjis_b64", ["japan-post-account"], "Shift_JIS base64",
         "年金振込先", letter(77, "振込先：ゆうちょ銀行 記号１１１２０ 番号２２２３３３１\n"), "sjis-b64")
    # Negatives.
    case("jp_furikae", [], "振替口座 00120-1-123456 (a public payment account)",
         "講習会参加費の払込", letter(78, "参加費は郵便振替でお願いします。\n振替口座 00120-1-123456\n"
                                   "加入者名 さくら区体育協会\n"), "utf8-b64")
    case("jp_blank_form", [], "記号・番号 fields of a blank form",
         "口座登録書の記入方法", letter(79, "ゆうちょ銀行の場合は、記号（5桁）と番号（最大8桁）を"
                                   "記入してください。\n提出期限 令和7年12月1日\n"), "iso2022")
    case("jp_event_code", [], "event code 1xxxx-xxxxxx without a keyword",
         "イベント申込コード", letter(80, "イベントの申込コードは 12345-678901 です。\n当日受付でお伝えください。\n"),
         "sjis")
    case("jp_postal", [], "郵便局 and postal code, toll-free number",
         "郵便局での手続き", letter(81, "お近くの郵便局（ゆうちょ銀行）で手続きできます。\n"
                                "〒100-8792 東京都千代田区大手町2-3-1\nゆうちょコールセンター 0120-108-420\n"),
         "html-utf8")


def dob_cases():
    p = P
    forms = [("kanji", "utf8-b64"), ("abbr", "iso2022"), ("west", "sjis"), ("slash", "utf8-qp"),
             ("kanji", "html-utf8"), ("abbr", "sjis-b64"), ("kanji", "alt"), ("west", "html-sjis")]
    for i, (st, f) in enumerate(forms):
        q = p[i * 3 + 1]
        case("dob_%s" % st, ["date-of-birth"], "生年月日 + %s form" % st,
             "申請者情報の確認", letter(90 + i, "申請者の情報は下記のとおりです。\n氏名 %s\n生年月日 %s\n"
                                      "住所 %s\n" % (q["name"], era(q["y"], q["m"], q["d"], st), q["addr"])), f)
    case("dob_gannen", ["date-of-birth"], "令和元年",
         "児童の情報", letter(98, "対象児童 %s さん（令和元年5月1日生まれ）\n" % p[50]["name"]), "utf8-b64")
    case("dob_heisei_gannen", ["date-of-birth"], "平成元年, ISO-2022-JP",
         "被保険者情報", letter(99, "被保険者 %s\n生年月日 平成元年12月3日\n" % p[51]["name"]), "iso2022")
    case("dob_nec_heisei", ["date-of-birth"], "NEC ㍻ (NFKC 平成) in ISO-2022-JP",
         "児童扶養手当の申請", letter(100, "申請者の生年月日：㍻5年3月1日\n" ), "iso2022")
    case("dob_taisho_abbr", ["date-of-birth"], "T14.3.3 (大正)",
         "長寿祝金の対象者", letter(101, "長寿祝金の対象者 %s 様 生年月日 T14.3.3\n" % p[52]["name"]), "sjis")
    case("dob_showa_fw", ["date-of-birth"], "full-width Ｓ５０．１．２",
         "被扶養者の確認", letter(102, "被扶養者 %s　生年月日：%s\n" % (p[53]["name"], fw("S50.1.2"))), "sjis-b64")
    case("dob_dob_english", ["date-of-birth"], "DOB: 1990-07-07",
         "Resident record", letter(103, "Resident: %s\nDOB: 1990-07-07\nNationality: Viet Nam\n"
                                  % "NGUYEN VAN AN"), "utf8-qp")
    case("dob_birthday", ["date-of-birth"], "誕生日",
         "乳幼児健診の対象", letter(104, "%s ちゃん（誕生日 2024年5月5日）の1歳6か月健診のご案内を"
                                  "送付しました。\n" % p[54]["name"].split()[0]), "html-utf8")
    d = docx_file(["本人確認記録", "氏名 %s" % p[55]["name"], "生年月日 昭和62年12月25日", "確認書類 運転免許証"])
    case("dob_docx", ["date-of-birth"], "docx paragraph",
         "本人確認記録", letter(105, "本人確認記録を添付します。\n"), "utf8-b64",
         atts=[("本人確認記録.docx", DOCX, d)])
    case("dob_h_dot", ["date-of-birth"], "H.3.4.5 form",
         "転入者の情報", letter(106, "転入者 %s 生年月日 H.3.4.5\n" % p[56]["name"]), "alt")
    # Negatives.
    case("dob_ordinary_dates", [], "ordinary Western and era dates",
         "会議日程のご連絡", letter(107, "次回の定例会議は令和7年12月10日（水）14時からです。\n"
                                 "資料は2025/12/05までに送付します。\n前回 R7.11.12 の議事録を添付予定です。\n"),
         "utf8-b64")
    case("dob_keyword_far", [], "生年月日 in a sentence, a deadline after it",
         "申請書類の不備", letter(108, "申請書の生年月日欄に記入漏れがありました。お手数ですが、"
                                 "令和7年12月1日までに再提出をお願いします。\n"), "iso2022")
    case("dob_reborn", [], "生まれ変わります (renewal), a date after it",
         "施設リニューアルのお知らせ", letter(109, "さくら区民センターが生まれ変わります。2025年4月1日に"
                                           "リニューアルオープンします。\n"), "sjis")
    case("dob_birth_registration", [], "出生届の受付 (a procedure), a date after it",
         "窓口受付時間の変更", letter(110, "出生届の受付は令和8年1月5日から本庁舎1階に変わります。\n"
                                   "婚姻届・死亡届も同様です。\n"), "html-utf8")
    case("dob_heisei_notice", [], "H30.4.1 付け通知, no keyword",
         "通知の改正", letter(111, "H30.4.1付けの通知を改正し、R7.4.1から施行します。\n"), "utf8-qp")
    case("dob_birthday_party", [], "誕生日会 with a date that is not a birth date",
         "保育園行事の案内", letter(112, "12月の誕生日会は 2025年12月12日 に行います。\n"
                                  "保護者の皆様の参加は自由です。\n"), "sjis-b64")
    case("dob_version_numbers", [], "version numbers and a bare era year",
         "システム更新", letter(113, "住記システムを v2025.11.3 に更新しました。\n平成31年度の帳票は"
                               "S2025-11-18 のパッチで修正済みです。\n"), "alt")
    case("dob_age_statistics", [], "birth statistics (no one's date)",
         "出生数の集計", letter(114, "令和6年の出生数は 1,234人でした（2025年3月31日現在）。\n"), "html-sjis")


def special_cases():
    p = P
    case("sc_welfare", ["special-care"], "生活保護 about a named person",
         "ケースの引継ぎ", letter(120, "%s様は令和5年から生活保護を受給中です。\n"
                              "来月からの訪問をお願いします。\n" % p[1]["name_nosp"]), "utf8-b64")
    case("sc_diagnosis", ["special-care"], "診断書 of a patient, ISO-2022-JP",
         "診断書の写し", letter(121, "患者 %s さんの診断書の写しを送ります。\n診断名 うつ病\n" % p[2]["name"]),
         "iso2022")
    case("sc_disability_card", ["special-care"], "障害者手帳 with ケース番号, Shift_JIS",
         "障害福祉サービスの利用", letter(122, "ケース番号 2025-0412\n%s さん 身体障害者手帳1級 所持\n"
                                        % p[3]["name"]), "sjis")
    case("sc_care_level", ["special-care"], "要介護認定 with 利用者番号",
         "認定結果の連絡", letter(123, "利用者番号 0034512\n%s 様 要介護認定 要介護3\n" % p[4]["name"]),
         "utf8-qp")
    case("sc_criminal", ["special-care"], "前科 about an applicant",
         "申請者の調査結果", letter(124, "申請者 %s 氏について、前科の有無を照会しました。\n" % p[5]["name"]),
         "html-utf8")
    case("sc_dv", ["special-care"], "DV被害 consultation",
         "相談記録の共有", letter(125, "相談記録\n相談者 %s さん\nDV被害のため住所の秘匿を希望。\n"
                                % p[6]["name"]), "alt")
    case("sc_health_result", ["special-care"], "health check result of one person",
         "健康診断結果の送付", letter(126, "%s さんの健康診断結果（要再検査）をお送りします。\n" % p[7]["name"]),
         "sjis-b64")
    rows = [["受給者番号", "氏名", "障害等級", "サービス"]]
    for i in range(4):
        rows.append(["%07d" % (100200 + i), p[20 + i]["name"], "%d級" % (1 + i % 3), "居宅介護"])
    case("sc_xlsx", ["special-care", "roster-table"], "xlsx 受給者番号 and 障害等級",
         "【委託】サービス利用者一覧", letter(127, "利用者一覧を添付します。\n"), "utf8-b64",
         atts=[("利用者一覧.xlsx", XLSX, xlsx([("一覧", rows)]))])
    d = docx_file(["相談記録票", "相談者: %s 様" % p[30]["name"],
                   "%s様は精神障害者保健福祉手帳2級を所持し、月1回通院している。" % p[30]["name_nosp"]])
    case("sc_docx", ["special-care"], "docx case record",
         "相談記録票", letter(128, "相談記録票を添付します。\n"), "iso2022",
         atts=[("相談記録票.docx", DOCX, d)])
    rows = [["被保険者番号", "氏名", "要介護度", "病名"]]
    for i in range(3):
        rows.append(["H%07d" % (880000 + i), p[33 + i]["name"], "要介護%d" % (i + 1), "認知症"])
    case("sc_csv", ["special-care", "roster-table"], "CSV CP932 被保険者番号 and 病名",
         "主治医意見書の対象者", letter(129, "主治医意見書の依頼対象者です。\n"), "sjis",
         atts=[("対象者.csv", "text/csv", csv_cp932(rows))])
    inner = inner_mail("入院のご連絡", "%s 様 (患者ID 556677) は 11月15日に入院しました。\n入院歴 2回、服薬中。\n"
                       % p[36]["name"])
    case("sc_forwarded", ["special-care"], "forwarded hospital mail",
         "転送: 入院のご連絡", letter(130, "病院からの連絡を転送します。\n"), "utf8-b64",
         atts=[("入院のご連絡.eml", "message/rfc822", inner)])
    case("sc_protection", ["special-care"], "被保護者 with 世帯主",
         "世帯の状況", letter(131, "世帯主 %s\n被保護者として令和6年4月から保護費を支給。\n" % p[37]["name"]),
         "html-iso2022")
    # Negatives.
    case("sc_all_staff_health", [], "all-staff notice about health check results",
         "定期健康診断の結果について", "職員各位\n\n令和7年度定期健康診断の結果は、各所属長を通じて"
         "個別にお渡しします。\n要再検査の方は12月末までに受診してください。\n" + signature(132, OFFICES[6]),
         "utf8-b64", to="kenshin@sakura-kenshin.example")
    case("sc_welfare_system", [], "contractor mail about the 生活保護 system (a programme, not a person)",
         "生活保護システム改修の打合せ", letter(133, partner=PARTNERS[0], content="生活保護システムの改修について、次回の打合せは"
                                          "11月27日 15時からでお願いします。\n仕様書の修正案は事前にお送りします。\n"),
         "iso2022")
    case("sc_stress_check", [], "stress check notice to all staff",
         "ストレスチェックの実施", "全職員の皆様\n\nストレスチェック結果は本人にのみ通知されます。\n"
         "実施期間 11月25日〜12月5日\n" + signature(134, OFFICES[6]), "sjis")
    case("sc_form_change", [], "diagnosis form changed (a form, not a person)",
         "診断書様式の変更", letter(135, partner=PARTNERS[0], content="来年度から診断書の様式を変更します。\n新様式は区ホームページに"
                                  "掲載しています。\n"), "utf8-qp")
    case("sc_victim_ordinance", [], "犯罪被害者 support ordinance, public comment",
         "条例案の意見募集", letter(136, partner=PARTNERS[0], content="犯罪被害者等支援条例（案）について意見募集を行います。\n"
                                  "期間 12月1日〜12月31日\n"), "html-utf8")
    case("sc_welfare_statistics", [], "生活保護 statistics",
         "統計資料の作成", letter(137, partner=PARTNERS[0], content="生活保護の統計資料（被保護世帯数の推移）を作成してください。\n"
                                "納期 令和8年1月15日\n"), "alt")
    case("sc_checkup_guide", [], "general 健診 guide for residents",
         "特定健診の案内文", letter(138, partner=PARTNERS[0], content="区民向け特定健診の案内文を校正してください。\n"
                                  "受診期間 6月1日〜10月31日、対象 40歳〜74歳\n"), "sjis-b64")


def roster_cases():
    p = P
    # e-mail rosters.
    for i, (n, f) in enumerate([(12, "utf8-b64"), (10, "iso2022"), (15, "html-utf8"), (11, "sjis")]):
        lines = "".join("・%s %s\n" % (p[j]["name"], p[j]["mail"]) for j in range(i, i + n))
        case("roster_email_%d" % n, ["roster-email"], "%d people's addresses in the body" % n,
             "説明会参加者の連絡先", letter(150 + i, "参加者の連絡先は下記のとおりです。\n" + lines), f)
    rows = [["受付番号", "メールアドレス", "区分"]] + [["%04d" % (j + 1), p[j]["mail"], "一般"] for j in range(14)]
    case("roster_email_csv", ["roster-email"], "CSV of 14 addresses",
         "メール配信リスト", letter(154, "配信リストを添付します。\n"), "utf8-qp",
         atts=[("配信リスト.csv", "text/csv", csv_cp932(rows))])
    rows = [["No", "E-mail"]] + [[j + 1, p[j + 20]["mail"]] for j in range(12)]
    case("roster_email_xlsx", ["roster-email"], "xlsx of 12 addresses",
         "応募者アドレス", letter(155, "応募者のアドレス一覧です。\n"), "alt",
         atts=[("応募者.xlsx", XLSX, xlsx([("list", rows)]))])
    # phone rosters.
    for i, (n, f) in enumerate([(12, "utf8-b64"), (10, "sjis-b64"), (13, "html-sjis")]):
        lines = "".join("%d. %s %s\n" % (j + 1, p[j + i]["name"].split()[0], p[j + i]["tel"]) for j in range(n))
        case("roster_phone_%d" % n, ["roster-phone"], "緊急連絡網 of %d phones" % n,
             "緊急連絡網", letter(160 + i, "自治会の緊急連絡網です。\n" + lines), f)
    lines = "".join("%s　%s\n" % (p[j]["name"].split()[0], fw(p[j]["tel"].replace("-", ""))) for j in range(11))
    case("roster_phone_fullwidth", ["roster-phone"], "11 full-width phones without hyphens, ISO-2022-JP",
         "見守り対象の連絡先", letter(163, "見守り協力員の連絡先です。\n" + lines), "iso2022")
    rows = [["連番", "電話", "備考"]] + [[str(j + 1), p[j + 5]["tel"], ""] for j in range(12)]
    case("roster_phone_csv", ["roster-phone"], "CSV of 12 phones",
         "架電リスト", letter(164, "架電リストを送付します。\n"), "utf8-b64",
         atts=[("架電リスト.csv", "text/csv", csv_cp932(rows))])
    # tables.
    rows = [["氏名", "住所", "電話番号"]] + [[p[j]["name"], p[j]["addr"], p[j]["tel"]] for j in range(3)]
    case("table_csv", ["roster-table"], "CSV 氏名,住所,電話番号 (3 rows)",
         "訪問先リスト", letter(165, "訪問先を添付します。\n"), "utf8-b64",
         atts=[("訪問先.csv", "text/csv", csv_cp932(rows))])
    rows = [["氏名", "フリガナ", "生年月日", "性別"]] + [[p[j]["name"], p[j]["kana"], p[j]["dob"], "男" if j % 2 else "女"]
                                              for j in range(5)]
    case("table_xlsx", ["roster-table", "date-of-birth"], "xlsx 氏名,フリガナ,生年月日,性別: birth dates in rows",
         "健診対象者名簿", letter(166, "健診対象者名簿です。\n"), "iso2022",
         atts=[("対象者名簿.xlsx", XLSX, xlsx([("名簿", rows)]))])
    d = docx_file(["参加者名簿", "第3回 介護予防教室"],
                  table=[["氏名", "住所", "連絡先"]] + [[p[j]["name"], p[j]["addr"], p[j]["tel"]] for j in range(2)])
    case("table_docx", ["roster-table"], "docx table 氏名,住所,連絡先",
         "介護予防教室の名簿", letter(167, "名簿を添付します。\n"), "sjis",
         atts=[("参加者名簿.docx", DOCX, d)])
    body = "氏名\t年齢\t住所\n" + "".join("%s\t%d\t%s\n" % (p[j]["name"], 30 + j, p[j]["addr"]) for j in range(4))
    case("table_tsv_body", ["roster-table"], "tab-separated table in the body",
         "転入者一覧", letter(168, "今月の転入者です。\n\n" + body), "utf8-qp")
    body = "| 氏名 | 電話番号 | 備考 |\n" + "".join("| %s | %s | 要連絡 |\n" % (p[j]["name"], p[j]["tel"]) for j in range(3))
    case("table_pipe_body", ["roster-table"], "'|' table in the body",
         "未提出者への連絡", letter(169, "未提出者の連絡先です。\n\n" + body), "utf8-b64")
    html = ("<html><body><p>%s<br>%s</p><p>講座の受講者です。</p><table border=1><tr><th>氏名</th><th>住所</th>"
            "<th>メールアドレス</th></tr>" % (PARTNERS[0][0], PARTNERS[0][1]) +
            "".join("<tr><td>%s</td><td>%s</td><td>%s</td></tr>" % (p[j]["name"], p[j]["addr"], p[j]["mail"])
                    for j in range(4)) + "</table></body></html>")
    case("table_html", ["roster-table"], "HTML table",
         "講座受講者", "", "html-utf8", html=html)
    rows = [["Name", "Address", "Phone"]] + [["NGUYEN VAN %d" % j, "Sakura-ku %d-1-1" % j, p[j]["tel"]] for j in range(3)]
    case("table_english", ["roster-table"], "English header Name,Address,Phone",
         "Residents list", letter(171, "List of residents for the interpreter.\n"), "utf8-b64",
         atts=[("residents.csv", "text/csv", csv_cp932(rows))])
    # A full roster: every roster detector at once.
    rows = [["氏名", "住所", "電話番号", "メールアドレス"]] + [[p[j]["name"], p[j]["addr"], p[j]["tel"], p[j]["mail"]]
                                                    for j in range(12)]
    case("roster_all_xlsx", ["roster-email", "roster-phone", "roster-table"], "xlsx of 12 people: table, phones, mails",
         "避難行動要支援者名簿", letter(172, "名簿を添付します。\n"), "sjis-b64",
         atts=[("要支援者名簿.xlsx", XLSX, xlsx([("名簿", rows)]))])
    # Negatives.
    lines = "".join("・%s\n" % p[j]["mail"] for j in range(9))
    case("roster_nine_addresses", [], "9 addresses (under 10)",
         "不達アドレス", letter(173, "下記のアドレスに配信できませんでした。\n" + lines), "utf8-b64")
    quoted = "".join("> From: %s\n> To: %s\n> Cc: %s\n>\n" % (p[0]["mail"], p[1]["mail"], p[2]["mail"]) for _ in range(5))
    case("roster_quoted_repeats", [], "the same 3 addresses quoted 5 times",
         "Re: Re: Re: 日程調整", letter(174, "承知しました。\n\n" + quoted), "iso2022")
    lines = "".join("%s %s\n" % (p[j]["name"].split()[0], p[j]["tel"]) for j in range(9))
    case("roster_nine_phones", [], "9 phones (under 10)",
         "連絡先", letter(175, "班長の連絡先です。\n" + lines), "sjis")
    case("roster_dates_codes", [], "dates, postal codes, amounts: not phones",
         "スケジュール", letter(176, "".join("2025-%02d-%02d 〒160-%04d 金額 %d円\n" % (m, 1 + m, 23 + m, 1000 * m)
                                      for m in range(1, 13))), "utf8-qp")
    case("table_items", [], "a table of goods: 品名,数量,単価",
         "見積依頼", letter(177, "品名\t数量\t単価\nコピー用紙A4\t50\t450\nトナー\t3\t12000\nファイル\t100\t180\n"),
         "html-utf8")
    rows = [["氏名", "住所", "電話番号", "メールアドレス"]] + [["", "", "", ""] for _ in range(10)]
    case("table_blank_template", [], "blank application template (header only)",
         "申込書様式", letter(178, "申込書の様式を送付します。\n"), "utf8-b64",
         atts=[("申込書様式.csv", "text/csv", csv_cp932(rows))])
    case("table_schedule", [], "a schedule table 日付,会場,担当",
         "会場予定表", letter(179, "日付,会場,担当\n12/1,第1会議室,総務課\n12/2,第2会議室,税務課\n"), "sjis-b64")
    case("roster_signature_contacts", [], "contacts of 4 staff plus the signature",
         "担当者一覧", letter(180, "本件の担当は下記のとおりです。\n"
                            "総務課 杉山 内線1104 sugiyama-n@example.lg.jp\n税務課 岡本 内線3120 okamoto-t@example.lg.jp\n"
                            "区民課 大野 内線1502 ono-r@example.lg.jp\n"), "alt")


def marking_cases():
    p = P
    # class-3
    case("mark_class3_subject", ["class-3"], "機密性3 in the subject",
         "【機密性3】住民情報の移行データ", letter(200, "移行データの件、別途ご連絡します。\n"), "utf8-b64")
    case("mark_class3a_fw", ["class-3"], "機密性３Ａ full-width, ISO-2022-JP body",
         "移行データ", letter(201, "本資料は機密性３Ａに該当します。\n"), "iso2022")
    case("mark_class3b_docx", ["class-3"], "機密性3B in a docx page header",
         "仕様書の送付", letter(202, "仕様書を添付します。\n"), "utf8-qp",
         atts=[("仕様書.docx", DOCX, docx_file(["住民記録システム移行仕様書", "第1章 概要"], header="機密性3B"))])
    case("mark_class3c_xlsx", ["class-3"], "機密性：3C in an xlsx cell",
         "データ項目一覧", letter(203, "項目一覧です。\n"), "sjis",
         atts=[("項目一覧.xlsx", XLSX, xlsx([("表紙", [["機密性：3C"], ["項目", "型"], ["世帯番号", "数値"]])]))])
    case("mark_class3_name", ["class-3"], "機密性3 in an attachment name",
         "資料送付", letter(204, "資料を送付します。\n"), "alt",
         atts=[("【機密性3】移行計画.txt", "text/plain", to_cp932("移行計画 第2版\r\n"))])
    case("mark_class3_sjis_html", ["class-3"], "機密性 3 in HTML Shift_JIS",
         "会議資料", letter(205, "会議資料（機密性 3）をお送りします。\n"), "html-sjis")
    # class-2
    case("mark_class2_body", ["class-2"], "機密性2 in the body",
         "打合せ資料", letter(206, "打合せ資料をお送りします（機密性2）。\n"), "utf8-b64")
    case("mark_class2_fw_iso", ["class-2"], "機密性２ full-width, ISO-2022-JP with ①",
         "委託業務の報告", letter(207, "①作業報告書（機密性２）\n②請求書\nを送付します。\n"), "iso2022")
    case("mark_class2_name", ["class-2"], "機密性2 in an attachment name",
         "報告書", letter(208, "報告書を添付します。\n"), "utf8-qp",
         atts=[("報告書_機密性2.txt", "text/plain", to_cp932("月次報告\r\n"))])
    case("mark_class2_html", ["class-2"], "HTML body",
         "運用手順", letter(209, "運用手順書 機密性：2 を更新しました。\n"), "html-utf8")
    case("mark_class2_docx", ["class-2"], "docx header 機密性2",
         "設計書", letter(210, "設計書を添付します。\n"), "sjis-b64",
         atts=[("基本設計書.docx", DOCX, docx_file(["基本設計書", "1. 目的"], header="機密性2"))])
    case("mark_class2_subject_sjis", ["class-2"], "subject in Shift_JIS",
         "［機密性２］作業手順", letter(211, "作業手順を送付します。\n"), "sjis")
    # handle-with-care
    case("mark_toriatsukai_subject", ["handle-with-care"], "取扱注意 in the subject",
         "【取扱注意】人事異動内示", letter(212, "内示の資料です。\n"), "utf8-b64")
    case("mark_toriatsukai_body", ["handle-with-care"], "取り扱い注意 in the body, ISO-2022-JP",
         "見積条件", letter(213, "本メールは取り扱い注意でお願いします。\n"), "iso2022")
    case("mark_toriatsukai_csv", ["handle-with-care"], "取扱い注意 inside a CSV",
         "集計表", letter(214, "集計表を添付します。\n"), "html-utf8",
         atts=[("集計表.csv", "text/csv", csv_cp932([["取扱い注意"], ["区分", "件数"], ["A", "12"]]))])
    case("mark_toriatsukai_html_iso", ["handle-with-care"], "HTML ISO-2022-JP",
         "予算要求資料", letter(215, "予算要求資料（取扱注意）を送ります。\n"), "html-iso2022")
    # internal-only
    case("mark_bugaihi", ["internal-only"], "部外秘 in the body",
         "検討資料", letter(216, "部外秘の検討資料です。\n"), "sjis-b64")
    case("mark_shagaihi_subject", ["internal-only"], "社外秘 in the subject",
         "社外秘：価格表", letter(217, "価格表を送付します。\n"), "utf8-qp")
    case("mark_chogaihi_docx", ["internal-only"], "庁外秘 in a docx",
         "内部資料", letter(218, "資料を添付します。\n"), "alt",
         atts=[("内部資料.docx", DOCX, docx_file(["庁外秘", "組織再編の検討状況"]))])
    case("mark_bugaihi_xlsx", ["internal-only"], "部外秘 in an xlsx cell",
         "人員配置", letter(219, "人員配置表です。\n"), "iso2022",
         atts=[("人員配置.xlsx", XLSX, xlsx([("配置", [["部外秘"], ["課", "人数"], ["総務課", "12"]])]))])
    # parties-only
    case("mark_kankeisha_subject", ["parties-only"], "関係者限り in the subject",
         "【関係者限り】選定結果", letter(220, "選定結果をお知らせします。\n"), "utf8-b64")
    case("mark_kankeisha_body", ["parties-only"], "関係者限り in the body, Shift_JIS",
         "会議メモ", letter(221, "会議メモ（関係者限り）を共有します。\n"), "sjis")
    case("mark_kankeisha_xlsx", ["parties-only"], "関係者限り in an xlsx",
         "評価表", letter(222, "評価表を添付します。\n"), "html-utf8",
         atts=[("評価表.xlsx", XLSX, xlsx([("評価", [["関係者限り"], ["項目", "点数"], ["提案", "8"]])]))])
    case("mark_kankeisha_alt", ["parties-only"], "multipart/alternative",
         "打合せ記録", letter(223, "打合せ記録です。関係者限りでお願いします。\n"), "alt")
    # secret-mark
    case("mark_hi_subject", ["secret-mark"], "【秘】 in the subject",
         "【秘】人事評価", letter(224, "評価結果です。\n"), "utf8-b64")
    case("mark_hi_paren", ["secret-mark"], "(秘) in the body, ISO-2022-JP",
         "検討メモ", letter(225, "(秘) 検討メモを送付します。\n"), "iso2022")
    case("mark_hi_fw_bracket", ["secret-mark"], "［秘］ full-width brackets",
         "交渉方針", letter(226, "［秘］交渉方針（案）\n"), "sjis-b64")
    case("mark_gokuhi", ["secret-mark"], "極秘",
         "調査報告", letter(227, "極秘の調査報告です。\n"), "html-sjis")
    case("mark_maruhi_name", ["secret-mark"], "マル秘 in an attachment name",
         "資料", letter(228, "資料です。\n"), "utf8-qp",
         atts=[("マル秘_資料.txt", "text/plain", to_cp932("資料\r\n"))])
    case("mark_hi_angle", ["secret-mark"], "〈秘〉 in the body",
         "協議資料", letter(229, "〈秘〉協議資料を送付します。\n"), "utf8-b64")
    # A record marked twice.
    case("mark_class2_and_care", ["class-2", "handle-with-care"], "機密性2 and 取扱注意 together",
         "支援記録", letter(230, "機密性2・取扱注意の資料です。\n"), "iso2022")
    # Negatives.
    case("mark_class1", [], "機密性1 (public)",
         "公表資料", letter(231, "機密性1の公表資料です。ホームページ掲載用です。\n"), "utf8-b64")
    case("mark_nda", [], "秘密保持契約",
         "秘密保持契約書の締結", letter(232, "秘密保持契約書（案）を送付します。\n押印のうえご返送ください。\n"),
         "iso2022")
    case("mark_secretary", [], "秘書課, 秘書",
         "区長日程", letter(233, "区長の日程は秘書課の秘書担当にご確認ください。\n",
                                   office=("さくら区 政策経営部 秘書課", "村井 亮", "murai-r", "1001")), "sjis",
         office=("さくら区 政策経営部 秘書課", "村井 亮", "murai-r", "1001"))
    case("mark_guidance", ["classification-mention"], "security guidance that names classes without marking: a mention",
         "情報セキュリティ研修のご案内", letter(234, "委託事業者向け研修のご案内です。\n"
                                           "機密性2以上の情報の取扱いと、機密性1〜3の分類基準を"
                                           "説明します。\n"), "utf8-qp")
    case("mark_manual", [], "取扱説明書, 関係者各位",
         "機器の取扱説明書", "関係者各位\n\n複合機の取扱説明書を送付します。\n" + signature(235, OFFICES[6]),
         "html-utf8")
    case("mark_hitoku", [], "秘匿性, 秘訣, 黙秘",
         "暗号化の手引き", letter(236, "秘匿性の高い通信方式の比較と、運用の秘訣をまとめました。\n"), "alt")
    case("mark_kimitsu_generic", [], "機密性の高い (no class)",
         "データ送付方法", letter(237, "機密性の高い情報は、パスワード付きの媒体で送付してください。\n"), "sjis-b64")
    case("mark_bugaisha", [], "部外者, 関係者以外",
         "立入制限", letter(238, "サーバ室は部外者の立入りを禁止しています。関係者以外は受付で手続きを。\n"),
         "html-sjis")


def mixed_cases():
    """Typical held mails that carry several kinds at once, and clean mails."""
    p = P
    mn = new_mynumber()
    case("mix_care_record", ["special-care", "date-of-birth", "class-2"],
         "case record with a birth date, class-2 marked",
         "ケース記録（機密性2）", letter(240, "ケース記録の抜粋です。\n氏名 %s 様\n生年月日 昭和30年4月8日\n"
                                      "令和6年から生活保護を受給。\n" % p[40]["name"]), "iso2022")
    case("mix_tax_mynumber_bank", ["mynumber", "bank-account"], "税務課: 個人番号 and a refund account",
         "還付手続き", letter(241, "還付手続きの確認です。\n個人番号 %s\n還付先 さくら銀行 本店 普通 1357913\n"
                              % group(mn, " ")), "utf8-b64", office=OFFICES[1])
    case("clean_meeting", [], "an ordinary meeting mail",
         "定例会の日程", letter(242, "次回定例会は12月4日(木) 10:00〜 第3会議室です。\n議題: 進捗報告、課題管理表の確認\n"),
         "iso2022")
    case("clean_invoice", [], "an ordinary invoice mail with amounts and numbers",
         "請求書の送付", letter(243, "請求番号 INV-2025-0112\n請求金額 1,650,000円（税込）\n"
                               "振込期限 2025年12月26日\n"), "sjis")
    case("clean_schedule_xlsx", [], "xlsx work schedule (no personal fields)",
         "作業工程表", letter(244, "工程表を添付します。\n"), "utf8-qp",
         atts=[("工程表.xlsx", XLSX, xlsx([("工程", [["工程", "開始", "終了"], ["設計", "2025/11/01", "2025/11/30"],
                                                 ["製造", "2025/12/01", "2026/01/31"]])]))])
    case("clean_docx_minutes", [], "docx minutes",
         "議事録", letter(245, "議事録を添付します。\n"), "html-utf8",
         atts=[("議事録.docx", DOCX, docx_file(["第5回 定例会 議事録", "日時 令和7年11月13日 10:00",
                                              "出席者 さくら区 3名、受託者 4名", "決定事項: 次回は12月4日"]))])


def issue17_cases():
    """Issue 17 items 4-8: people as Japanese mail names them, special-care
    phrasing, abbreviated birth dates, labels versus mentions, rosters of
    places. Appended last so that the earlier files keep their names."""
    # Special-care about a named person: one-kanji family names, kana given
    # names, unspaced names, a name after 対象者, a health check's values.
    case("sc_one_kanji_surname", ["special-care"], "林 彩さん 要介護3 (one-kanji family name)",
         "ケアプランの件", letter(300, "林 彩さんは要介護3の認定を受け、来月からデイサービスを利用します。\n"), "utf8-b64")
    case("sc_hiragana_given", ["special-care"], "鈴木 さくら様 認知症と診断 (hiragana given name)",
         "受診結果のご報告", letter(301, "鈴木 さくら様は11月10日に認知症と診断されました。\n"), "iso2022")
    case("sc_unspaced_kana", ["special-care"], "松本ゆうなさん 精神科に通院中 (no space)",
         "面談記録", letter(302, "松本ゆうなさんは精神科に通院中で、服薬中です。\n"), "sjis")
    case("sc_checkup_values", ["special-care"], "健康診断の結果 with 血圧 158/96 and 要精密検査",
         "健診結果の共有", letter(303, "氏名 森 優\n健康診断の結果\n血圧 158/96\n判定 要精密検査\n"), "utf8-qp")
    case("sc_label_unlisted_name", ["special-care"], "対象者 醍醐 茜 (family name not in any list), 障害支援区分",
         "サービス等利用計画", letter(304, "対象者 醍醐 茜\n障害支援区分 4\n既往歴 てんかん\n"), "html-utf8")
    case("sc_child_honorific", ["special-care"], "原 翔太くん 服薬中",
         "学校生活の配慮について", letter(305, "原 翔太くん（3年2組）は服薬中のため、給食後の投薬をお願いします。\n"), "sjis-b64")
    rows = [["氏名", "要介護度", "既往歴"]] + [[P[40 + j]["name"], "要介護%d" % (1 + j % 5), "高血圧"] for j in range(4)]
    case("sc_care_table_csv", ["special-care"], "CSV 氏名,要介護度,既往歴 rows (one personal-field header: no roster-table)",
         "利用者一覧", letter(306, "利用者一覧を送付します。\n"), "alt",
         atts=[("利用者一覧.csv", "text/csv", csv_cp932(rows))])
    # ... and the same words not about a person.
    case("sc_dementia_training", [], "認知症の方への接し方 (a training, addressed to a named contact)",
         "認知症対応研修のご案内", letter(307, "認知症の方への接し方について、職員向け研修を行います。\n"
                                      "精神科の医師が講師を務めます。\n"), "utf8-b64")
    case("sc_blank_form", [], "a blank form with 既往歴 and 服薬中 fields",
         "問診票の様式", letter(308, "問診票の様式を送付します。\n\n氏名：\n既往歴：□あり □なし\n"
                               "服薬中の薬：\n"), "iso2022")
    case("sc_care_statistics", [], "要介護3 statistics",
         "介護保険事業の集計", letter(309, "要介護3以上の認定者数は1,234人で、前年から5%増えました。\n"
                                   "認知症高齢者の割合は12.3%です。\n"), "html-sjis")
    case("sc_form_example", [], "記入例 with an example name",
         "申請書の記入例", letter(310, "記入例 山田 太郎 様\n既往歴の欄には、主な病名を記入してください。\n"), "utf8-qp")
    # Birth dates as written, next to a person.
    case("dob_abbr_sei", ["date-of-birth"], "林 彩（S58.4.12生）",
         "面談予定者", letter(311, "面談予定者 林 彩（S58.4.12生）\n"), "utf8-b64")
    case("dob_kanji_abbr", ["date-of-birth"], "昭58・4・12生まれ",
         "転入者の確認", letter(312, "鈴木 さくら 昭58・4・12生まれ\n"), "sjis")
    case("dob_h1_sei", ["date-of-birth"], "中村 一郎様 H1.1.8生",
         "訪問先の確認", letter(313, "中村 一郎様 H1.1.8生 の訪問は11月25日です。\n"), "iso2022")
    case("dob_slash_sei", ["date-of-birth"], "1983/4/12生",
         "申込者の確認", letter(314, "申込者 佐藤 太郎 1983/4/12生\n"), "html-utf8")
    rows = [["氏名", "生年月日", "学年"]] + [[P[45 + j]["name"], "%04d/%02d/%02d" % (2012 + j, 1 + j, 3 + j), str(6 - j)]
                                       for j in range(4)]
    case("dob_table_xlsx", ["date-of-birth", "roster-table"], "xlsx 氏名,生年月日 rows (dates as text)",
         "参加児童名簿", letter(315, "参加児童の名簿です。\n"), "utf8-b64",
         atts=[("参加児童名簿.xlsx", XLSX, xlsx([("名簿", rows)]))])
    # ... and dates about no one.
    case("dob_mascot", [], "a mascot's birthday",
         "イベントのお知らせ", letter(316, "さくら区のマスコット「さくらちゃん」の誕生日は2010年4月1日です。\n"
                                   "当日は誕生日イベントを開催します。\n"), "utf8-qp")
    case("dob_notice_parents", [], "生まれたお子さん in a notice to all parents (a range)",
         "予防接種のお知らせ", "保護者の皆様\n\n平成31年4月2日から令和2年4月1日までに生まれたお子さんが対象です。\n"
         "4月1日までに生まれたお子さんは、保健センターで受けられます。\n" + signature(317, OFFICES[5]),
         "sjis-b64", to="kosodate@asahi-kosodate.example")
    # Markings: labels keep their rule, mentions in running text are held.
    case("mention_training_class3", ["classification-mention"], "機密性3の情報はメールで送信できません (training)",
         "情報セキュリティ研修資料", letter(318, "研修資料の要点です。\n機密性3の情報はメールで送信できません。\n"
                                         "迷ったときは情報政策係に相談してください。\n"), "utf8-b64")
    case("mention_training_words", ["classification-mention"], "取扱注意 and 部外秘 in a training text: stamp words in running text are mentions",
         "研修テキストの校正", letter(319, "研修テキストでは、取扱注意の書類や部外秘の資料を施錠できる場所に"
                                         "保管するよう説明しています。\n"), "iso2022")
    case("mention_guideline_3abc", ["classification-mention"], "機密性3を3A、3B、3Cに細分化 (guideline news)",
         "ガイドライン改定の概要", letter(320, "改定後のガイドラインでは機密性3を3A、3B、3Cに細分化しました。\n"), "html-utf8")
    case("label_doc_subject_3", ["class-3"], "本資料は機密性3です",
         "移行計画", letter(321, "移行計画を送付します。\n本資料は機密性3です。\n"), "alt")
    case("label_attachment_3a", ["class-3"], "添付ファイルは機密性3Aです",
         "調査票", letter(322, "調査票を送付します。添付ファイルは機密性3Aです。\n"), "sjis")
    case("label_and_mention", ["class-2", "classification-mention"], "【機密性2】 subject, a mention of class 3 in the body",
         "【機密性2】研修の補足", letter(323, "前回の研修の補足です。機密性3の情報は外部に送信しないでください。\n"), "utf8-qp")
    # Rosters of people, not of places.
    fac = ["本庁舎", "第二庁舎", "中央図書館", "桜台図書館", "桜町保育園", "若葉保育園", "中央公民館",
           "緑町児童館", "総合体育館", "保健センター", "北出張所", "南出張所"]
    lines = "".join("%s 03-5%03d-%04d\n" % (f, 100 + i, 1000 + i * 7) for i, f in enumerate(fac))
    case("roster_facilities", [], "12 facilities with their phone numbers",
         "施設の連絡先一覧", letter(324, "年末年始の施設の連絡先です。\n" + lines), "utf8-b64")
    lines = "".join("%s %s\n" % (P[j]["name"], P[j]["tel"]) for j in range(10))
    case("roster_people_phones", ["roster-phone"], "10 people with their phone numbers",
         "見守り協力員の連絡先", letter(325, "協力員の連絡先です。\n" + lines), "sjis")


# Names written in the issue 17 cases besides the people of P.
EXTRA_NAMES = ["林 彩", "鈴木 さくら", "松本ゆうな", "森 優", "醍醐 茜", "原 翔太", "中村 一郎",
               "佐藤 太郎", "山田 太郎"]


def names_in(text):
    """The people named in a text: full names of P and EXTRA_NAMES, and
    bare family names of SURNAMES (山田 090-...) outside them."""
    full = set(EXTRA_NAMES)
    for q in P:
        full.update((q["name"], q["name_nosp"], q["kana"]))
    full.update(o[1] for o in OFFICES)
    found, spans = [], []
    for n in sorted(full, key=len, reverse=True):
        for m in re.finditer(re.escape(n), text):
            if not any(a <= m.start() < b for a, b in spans):
                spans.append((m.start(), m.end()))
                found.append(n)
    han = re.compile(r"[\u4e00-\u9fff\u3005]")
    for n in SURNAMES + [o[1].split()[0] for o in OFFICES]:
        for m in re.finditer(re.escape(n), text):
            before = text[m.start() - 1] if m.start() else ""
            after = text[m.end()] if m.end() < len(text) else ""
            if (any(a <= m.start() < b for a, b in spans) or han.match(before or "a")
                    or han.match(after or "a")):
                continue
            spans.append((m.start(), m.end()))
            found.append(n)
    return sorted(set(found))


def write_names(outdir):
    """names.tsv: file, labels, body content (\\n for newlines), the names
    in it (| separated). Read by tests/bench/names_eval.c."""
    with open(os.path.join(outdir, "names.tsv"), "w", encoding="utf-8") as f:
        f.write("# file\tlabels\tcontent (\\n = newline)\tnames (|)\n"
                "# Written by make-corpus.py; read by tests/bench/names_eval.c.\n")
        for (fname, labels, _, _), text in zip(CASES, CONTENT):
            # The detectors read NFKC text (full-width digits are ASCII).
            text = unicodedata.normalize("NFKC", text).replace("\t", " ").replace("\r", "")
            f.write("%s\t%s\t%s\t%s\n" % (fname, ",".join(labels), text.replace("\n", "\\n"),
                                           "|".join(names_in(text))))


def build():
    mynumber_cases()
    card_cases()
    bank_cases()
    japan_post_cases()
    dob_cases()
    special_cases()
    roster_cases()
    marking_cases()
    mixed_cases()
    issue17_cases()


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(outdir, exist_ok=True)
    build()
    for f in os.listdir(outdir):
        if f.endswith(".eml"):
            os.unlink(os.path.join(outdir, f))
    with open(os.path.join(outdir, "labels.tsv"), "w", encoding="utf-8") as lf:
        lf.write("# file\texpected rule ids (personal-data and classified; empty: none)\tnote\n"
                 "# Written by make-corpus.py; checked by accuracy.sh.\n")
        for fname, labels, note, data in CASES:
            with open(os.path.join(outdir, fname), "wb") as f:
                f.write(data)
            lf.write("%s\t%s\t%s\n" % (fname, ",".join(labels), note))
    write_names(outdir)


if __name__ == "__main__":
    main()
