#!/usr/bin/python3
# NAME
#	make-eval.py - the held-out evaluation set of issue 17
# SYNOPSIS
#	/usr/bin/python3 tests/corpus-eval/make-eval.py [OUTDIR]
# DESCRIPTION
#	Writes the .eml messages of tests/corpus-eval/ and labels.tsv (same
#	format as tests/corpus/labels.tsv: file, expected rule ids of the
#	personal-data and classified categories comma-joined or empty, note).
#
#	This set was written from docs/POLICY.md and docs/SOURCES.md only,
#	by someone who had not read rules/, the detector sources or the
#	tuning corpus: it is the held-out set that says how the engine does
#	on mail it was not tuned on. Labels say what POLICY.md means, not
#	what the engine reports; the engine was not run while labelling.
#
#	The messages are committed and fixed; after the first commit only a
#	wrong label may be corrected (and each correction is listed in the
#	issue's note). The generator is deterministic (one seeded random
#	generator, fixed dates, boundaries and Message-IDs; document
#	timestamps, ODF Rsid and PDF /ID, /DocChecksum and /CreationDate
#	normalised), so running it again with the same tool versions rewrites
#	the same bytes, except the 16 messages with a pptx: LibreOffice gives
#	the field placeholders of its slide master and layouts random ids
#	(`a:fld id`), which were left as committed (text and labels are the
#	same). Checked: a second run matched 511 of 527 files byte for byte.
#
#	Tools (the fixtures are made by the real programs people use):
#	LibreOffice headless (`soffice --convert-to pdf|pptx|odt|ods`),
#	python3-openpyxl (xlsx with dates stored as dates), python3-docx
#	(docx with page headers and footers), zip, 7z (p7zip-full), iconv
#	(CP932 CSV). Install them with `make deps DEB_PKGS="$(FIXTURE_PKGS)"`.
#
#	Labels. Rule ids (README "The detectors", "Classification
#	markings"): mynumber payment-card bank-account japan-post-account
#	date-of-birth special-care roster-email roster-phone roster-table
#	class-3 class-2 handle-with-care internal-only parties-only
#	secret-mark classification-mention. POLICY.md's meaning decides:
#	a marking in label form (bracketed, at the start of the Subject or a
#	line, in a document header/footer or a file name, `機密性：3`, a
#	sentence whose subject is the document) is the marking's rule; any
#	other classification word in running text is classification-mention
#	(so training that names 機密性3 in a sentence is a mention, not
#	ordinary mail); birth dates, special-care data count only about a
#	person; rosters are of people, not places; the sender's signature is
#	never personal data.

import base64
import datetime
import os
import quopri
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else HERE
R = random.Random(1717)
FIXED_DT = datetime.datetime(2026, 11, 20, 9, 0, 0)
ZIP_DT = (2026, 11, 20, 9, 0, 0)
FIXED_EPOCH = 1795165200  # 2026-11-20 (UTC) for file mtimes in archives

# ---------------------------------------------------------------- people

SURNAMES = [
    ("佐藤", "サトウ", "sato"), ("鈴木", "スズキ", "suzuki"), ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"), ("伊藤", "イトウ", "ito"), ("渡辺", "ワタナベ", "watanabe"),
    ("山本", "ヤマモト", "yamamoto"), ("中村", "ナカムラ", "nakamura"), ("小林", "コバヤシ", "kobayashi"),
    ("加藤", "カトウ", "kato"), ("吉田", "ヨシダ", "yoshida"), ("山田", "ヤマダ", "yamada"),
    ("佐々木", "ササキ", "sasaki"), ("松本", "マツモト", "matsumoto"), ("井上", "イノウエ", "inoue"),
    ("木村", "キムラ", "kimura"), ("清水", "シミズ", "shimizu"), ("斎藤", "サイトウ", "saito"),
    ("長谷川", "ハセガワ", "hasegawa"), ("石川", "イシカワ", "ishikawa"), ("林", "ハヤシ", "hayashi"),
    ("森", "モリ", "mori"), ("原", "ハラ", "hara"), ("堀", "ホリ", "hori"), ("関", "セキ", "seki"),
    ("東", "アズマ", "azuma"), ("辻", "ツジ", "tsuji"), ("泉", "イズミ", "izumi"), ("岡", "オカ", "oka"),
    ("谷", "タニ", "tani"), ("菅", "スガ", "suga"), ("南", "ミナミ", "minami"), ("楠", "クスノキ", "kusunoki"),
    ("柴田", "シバタ", "shibata"), ("矢口", "ヤグチ", "yaguchi"), ("宇佐美", "ウサミ", "usami"),
    ("五十嵐", "イガラシ", "igarashi"), ("小野寺", "オノデラ", "onodera"), ("畑", "ハタ", "hata"),
    ("萩原", "ハギワラ", "hagiwara"), ("大友", "オオトモ", "otomo"), ("丸山", "マルヤマ", "maruyama"),
]
GIVEN = [
    ("彩", "アヤ", "aya"), ("さくら", "サクラ", "sakura"), ("ひなた", "ヒナタ", "hinata"),
    ("はると", "ハルト", "haruto"), ("翔太", "ショウタ", "shota"), ("美咲", "ミサキ", "misaki"),
    ("健一", "ケンイチ", "kenichi"), ("恵子", "ケイコ", "keiko"), ("和子", "カズコ", "kazuko"),
    ("誠", "マコト", "makoto"), ("勇", "イサム", "isamu"), ("ミツ", "ミツ", "mitsu"),
    ("トメ", "トメ", "tome"), ("ハル", "ハル", "haru"), ("清", "キヨシ", "kiyoshi"),
    ("悠真", "ユウマ", "yuma"), ("結衣", "ユイ", "yui"), ("陽菜", "ヒナ", "hina"),
    ("蓮", "レン", "ren"), ("大翔", "ヒロト", "hiroto"), ("あおい", "アオイ", "aoi"),
    ("真理子", "マリコ", "mariko"), ("浩二", "コウジ", "koji"), ("正雄", "マサオ", "masao"),
    ("千代", "チヨ", "chiyo"), ("かおり", "カオリ", "kaori"), ("博", "ヒロシ", "hiroshi"),
    ("智子", "トモコ", "tomoko"), ("隆", "タカシ", "takashi"), ("優子", "ユウコ", "yuko"),
    ("直樹", "ナオキ", "naoki"), ("えみ", "エミ", "emi"), ("キヨ", "キヨ", "kiyo"),
    ("拓也", "タクヤ", "takuya"), ("友美", "トモミ", "tomomi"), ("幸子", "サチコ", "sachiko"),
]
CITIES = [("桜川市", "さくらがわ", "300-1500", "茨城県"), ("北山町", "きたやま", "399-9300", "長野県"),
          ("緑ヶ丘区", "midori", "176-8501", "東京都"), ("東浜市", "higashihama", "650-0001", "兵庫県"),
          ("若葉村", "wakaba", "399-9511", "長野県"), ("南台市", "minamidai", "252-0001", "神奈川県")]
TOWNS = ["本町", "中央", "旭町", "栄町", "緑町", "西原", "東台", "南が丘", "千代田", "若宮", "上野台",
         "大字下川原", "大字中谷", "宮前", "桜木町", "富士見"]
BANKS = ["みずほ銀行", "三井住友銀行", "三菱UFJ銀行", "りそな銀行", "常陽銀行", "八十二銀行",
         "横浜銀行", "桜川信用金庫", "北山信用組合", "JAきたやま", "東浜労働金庫", "楽天銀行",
         "ゆうちょ銀行"]
BRANCHES = ["本店営業部", "駅前支店", "中央支店", "北山支店", "桜川支店", "東浜出張所", "旭町支店", "〇一八店"]

used_phones = set()


def person():
    s = R.choice(SURNAMES)
    g = R.choice(GIVEN)
    return {"sei": s[0], "mei": g[0], "kana": s[1] + " " + g[1], "romaji": (s[2], g[2])}


def pname(p, style=None):
    style = style if style is not None else R.choice(["sp", "sp", "none", "zen"])
    sep = {"sp": " ", "none": "", "zen": "\u3000"}[style]
    return p["sei"] + sep + p["mei"]


def mobile():
    while True:
        n = "%s-%04d-%04d" % (R.choice(["090", "080", "070"]), R.randrange(1000, 9999), R.randrange(0, 9999))
        if n not in used_phones:
            used_phones.add(n)
            return n


def landline():
    a = R.choice([("0263", 2), ("029", 3), ("03", 4), ("078", 3), ("0266", 2), ("045", 3)])
    while True:
        mid = R.randrange(10 ** (a[1] - 1), 10 ** a[1])
        n = "%s-%0*d-%04d" % (a[0], a[1], mid, R.randrange(0, 10000))
        if n not in used_phones:
            used_phones.add(n)
            return n


def phone():
    return mobile() if R.random() < 0.6 else landline()


def email_of(p):
    dom = R.choice(["gmail.com", "yahoo.co.jp", "docomo.ne.jp", "ezweb.ne.jp", "icloud.com",
                    "outlook.jp", "softbank.ne.jp", "nifty.com"])
    s, g = p["romaji"]
    form = R.choice(["%s.%s", "%s_%s", "%s%s%02d"])
    if form == "%s%s%02d":
        lp = form % (g, s, R.randrange(1, 99))
    else:
        lp = form % ((g, s) if R.random() < 0.5 else (s, g))
    return lp + "@" + dom


def address():
    c = R.choice(CITIES)
    return "%s%s%s%d-%d-%d" % (c[3], c[0], R.choice(TOWNS), R.randrange(1, 9), R.randrange(1, 30), R.randrange(1, 20))


def postal():
    return "%03d-%04d" % (R.randrange(100, 999), R.randrange(0, 9999))


# ------------------------------------------------------------- numbers

def mn_check(d11):
    s = 0
    for n in range(1, 12):
        p = int(d11[11 - n])
        q = n + 1 if n <= 6 else n - 5
        s += p * q
    r = s % 11
    return 0 if r <= 1 else 11 - r


def mynumber(valid=True):
    d = "".join(str(R.randrange(10)) for _ in range(11))
    if d[0] == "0":
        d = "4" + d[1:]
    c = mn_check(d)
    if not valid:
        c = (c + R.randrange(1, 10)) % 10
    return d + str(c)


def mn_fmt(n, style=None):
    style = style or R.choice(["plain", "sp", "hy", "fw", "fwhy"])
    if style == "plain":
        return n
    if style == "sp":
        return n[:4] + " " + n[4:8] + " " + n[8:]
    if style == "hy":
        return n[:4] + "-" + n[4:8] + "-" + n[8:]
    if style == "fw":
        return fw(n)
    return fw(n[:4] + "-" + n[4:8] + "-" + n[8:]).replace("－", "－")


def fw(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def luhn_complete(prefix, length):
    d = prefix + "".join(str(R.randrange(10)) for _ in range(length - len(prefix) - 1))
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return d + str((10 - tot % 10) % 10)


def card():
    kind = R.choice(["visa", "visa", "mc", "jcb", "jcb", "amex"])
    if kind == "visa":
        n = luhn_complete("4" + str(R.randrange(100, 999)), 16)
    elif kind == "mc":
        n = luhn_complete(str(R.randrange(51, 56)), 16)
    elif kind == "jcb":
        n = luhn_complete(str(R.randrange(3528, 3590)), 16)
    else:
        n = luhn_complete(R.choice(["34", "37"]), 15)
    if len(n) == 15:
        f = n[:4] + " " + n[4:10] + " " + n[10:] if R.random() < 0.7 else n
    else:
        sep = R.choice([" ", "-", "", " "])
        f = sep.join(n[i:i + 4] for i in range(0, 16, 4))
    return kind, f


def account7():
    return "%07d" % R.randrange(100000, 9999999)


def post_pair():
    kigo = "1%03d%d" % (R.randrange(0, 1000), R.choice([0, 0, 1]))
    bango = "%d" % R.randrange(1000000, 99999999)
    return kigo, bango


# ---------------------------------------------------------------- dates

def era(y, m, d):
    dt = (y, m, d)
    if dt >= (2019, 5, 1):
        return "令和", "R", y - 2018
    if dt >= (1989, 1, 8):
        return "平成", "H", y - 1988
    if dt >= (1926, 12, 25):
        return "昭和", "S", y - 1925
    return "大正", "T", y - 1911


def birth():
    y = R.randrange(1928, 2022)
    return y, R.randrange(1, 13), R.randrange(1, 29)


def dob_text(y, m, d, style=None):
    """A date as people write it; returns text with its own keyword or not."""
    e, a, n = era(y, m, d)
    ny = "元" if n == 1 and R.random() < 0.5 else str(n)
    style = style or R.choice(["abbr", "abbrsei", "kanji", "kanjisei", "dot", "slash", "western",
                               "fw", "iso", "eraslash"])
    if style == "abbr":
        return "%s%s.%d.%d" % (a, ny, m, d)
    if style == "abbrsei":
        return "%s%s.%d.%d生" % (a, ny, m, d)
    if style == "kanji":
        return "%s%s年%d月%d日" % (e, ny, m, d)
    if style == "kanjisei":
        return "%s%s年%d月%d日生" % (e, ny, m, d)
    if style == "dot":
        return "%s%s・%d・%d生まれ" % (e[0], ny, m, d)
    if style == "slash":
        return "%d/%d/%d" % (y, m, d)
    if style == "western":
        return "%d年%d月%d日" % (y, m, d)
    if style == "fw":
        return fw("%d" % y) + "年" + fw(str(m)) + "月" + fw(str(d)) + "日"
    if style == "iso":
        return "%04d-%02d-%02d" % (y, m, d)
    return "%s%s/%d/%d" % (a, ny, m, d)


def dob_phrase(p):
    """A sentence fragment that states p's date of birth (always with a birth word)."""
    y, m, d = birth()
    nm = pname(p)
    c = R.randrange(9)
    if c == 0:
        return "%s 様（%s）" % (nm, dob_text(y, m, d, "abbrsei"))
    if c == 1:
        return "氏名：%s　生年月日：%s" % (nm, dob_text(y, m, d))
    if c == 2:
        return "%sさん（%s生まれ）" % (nm, dob_text(y, m, d, R.choice(["kanji", "western", "slash"])))
    if c == 3:
        return "%s氏　%s" % (nm, dob_text(y, m, d, "dot"))
    if c == 4:
        return "対象者：%s（%s）" % (nm, dob_text(y, m, d, "kanjisei"))
    if c == 5:
        return "%s様の生年月日は%sです" % (nm, dob_text(y, m, d))
    if c == 6:
        return "%s　%s生" % (nm, dob_text(y, m, d, R.choice(["slash", "abbr", "eraslash"])))
    if c == 7:
        return "申請者 %s 様、%s生" % (nm, dob_text(y, m, d, R.choice(["kanji", "western", "fw"])))
    return "%s（誕生日 %s）" % (nm, dob_text(y, m, d, R.choice(["western", "kanji", "slash"])))


# ---------------------------------------------------------------- mail

SENDERS = [
    ("情報政策課", "jouhou"), ("福祉課", "fukushi"), ("高齢介護課", "kourei"), ("子育て支援課", "kosodate"),
    ("税務課", "zeimu"), ("市民課", "shimin"), ("保険年金課", "hoken"), ("障害福祉課", "shougai"),
    ("生活支援課", "seikatsu"), ("健康づくり課", "kenkou"), ("教育総務課", "kyouiku"), ("契約管財課", "keiyaku"),
    ("総務課", "soumu"), ("人事課", "jinji"), ("広報課", "kouhou"), ("図書館", "library"),
]
EXT_DOMAINS = ["sakura-system.example.co.jp", "kita-densan.example.jp", "tohama-hosp.example.or.jp",
               "care-net.example.com", "gyousei-soft.example.co.jp", "insatsu.example.jp",
               "kensetsu-k.example.co.jp", "shakyo.example.or.jp", "bank-cs.example.co.jp",
               "consult.example.com"]

seq = [0]


def enc_jis(text):
    """ISO-2022-JP as Outlook writes it (CP50220-like: NEC row 13 kept)."""
    out = bytearray()
    for line in text.split("\n"):
        mode = "a"
        for ch in line:
            if ord(ch) < 0x80:
                if mode != "a":
                    out += b"\x1b(B"
                    mode = "a"
                out += ch.encode("ascii")
                continue
            if 0xFF61 <= ord(ch) <= 0xFF9F:
                ch = unicodedata.normalize("NFKC", ch)
            b = ch.encode("cp932")
            c1, c2 = b[0], b[1]
            if c1 >= 0xE0:
                c1 -= 0x40
            row = (c1 - 0x81) * 2 + 0x21
            if c2 >= 0x9F:
                row += 1
                col = c2 - 0x7E
            else:
                col = c2 - 0x1F - (1 if c2 >= 0x80 else 0)
            if mode != "j":
                out += b"\x1b$B"
                mode = "j"
            out += bytes([row, col])
        if mode != "a":
            out += b"\x1b(B"
        out += b"\n"
    return bytes(out[:-1])


WIN = {0x301C: 0xFF5E, 0x2212: 0xFF0D, 0x2016: 0x2225, 0x00A2: 0xFFE0, 0x00A3: 0xFFE1, 0x00AC: 0xFFE2,
       0x2014: 0x2015}


def enc(text, cs):
    if cs in ("ISO-2022-JP", "Shift_JIS"):
        text = text.translate(WIN)
    if cs == "ISO-2022-JP":
        return enc_jis(text)
    if cs == "Shift_JIS":
        return text.encode("cp932")
    if cs == "EUC-JP":
        return text.encode("euc_jp")
    return text.encode("utf-8")


def ew(text, cs="UTF-8", q=False):
    """RFC 2047 encoded words, each whole in itself."""
    if all(ord(c) < 0x80 for c in text):
        return text
    words = []
    chunk = 9 if cs != "UTF-8" else 12
    for i in range(0, len(text), chunk):
        piece = text[i:i + chunk]
        b = enc(piece, cs)
        if q:
            qq = "".join(chr(x) if (0x30 <= x <= 0x39 or 0x41 <= x <= 0x5a or 0x61 <= x <= 0x7a) else
                         ("_" if x == 0x20 else "=%02X" % x) for x in b)
            words.append("=?%s?Q?%s?=" % (cs, qq))
        else:
            words.append("=?%s?B?%s?=" % (cs, base64.b64encode(b).decode()))
    return "\n ".join(words)


def rfc2231(name):
    b = name.encode("utf-8")
    toks = [chr(x) if (x < 0x80 and (chr(x).isalnum() or chr(x) in "._-")) else "%%%02X" % x for x in b]
    pct = "".join(toks)
    if len(pct) <= 60:
        return "filename*=UTF-8''" + pct
    parts, cur = [], ""
    for t in toks:
        if len(cur) + len(t) > 60:
            parts.append(cur)
            cur = ""
        cur += t
    parts.append(cur)
    return ";\n ".join("filename*%d*=%s%s" % (k, "UTF-8''" if k == 0 else "", p) for k, p in enumerate(parts))


def body_bytes(data, cte):
    if cte == "base64":
        s = base64.b64encode(data).decode()
        return "\n".join(s[i:i + 76] for i in range(0, len(s), 76)).encode() + b"\n"
    if cte == "quoted-printable":
        return quopri.encodestring(data) + (b"" if data.endswith(b"\n") else b"\n")
    return data + (b"" if data.endswith(b"\n") else b"\n")


def text_part(text, cs="ISO-2022-JP", cte=None, sub="plain"):
    if cte is None:
        cte = "7bit" if cs == "ISO-2022-JP" else R.choice(["base64", "quoted-printable", "8bit"])
    hdr = "Content-Type: text/%s; charset=%s\nContent-Transfer-Encoding: %s\n" % (
        sub, cs if cs != "UTF-8" else R.choice(["UTF-8", "utf-8"]), cte)
    return hdr.encode() + b"\n" + body_bytes(enc(text, cs), cte)


CTYPES = {".pdf": "application/pdf", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
          ".csv": "text/csv", ".txt": "text/plain", ".zip": "application/zip",
          ".7z": "application/x-7z-compressed", ".odt": "application/vnd.oasis.opendocument.text",
          ".ods": "application/vnd.oasis.opendocument.spreadsheet"}


def attach_part(data, fname, style=None, ctype=None, charset=None):
    ext = os.path.splitext(fname)[1].lower()
    ctype = ctype or CTYPES.get(ext, "application/octet-stream")
    if R.random() < 0.15 and ext not in (".csv", ".txt"):
        ctype = "application/octet-stream"
    style = style or R.choice(["2231", "2047jis", "2047utf8", "2231", "2047sjis"])
    ascii_name = all(ord(c) < 0x80 for c in fname)
    if ascii_name:
        dn = 'filename="%s"' % fname
        tn = 'name="%s"' % fname
    elif style == "2231":
        dn = rfc2231(fname)
        tn = 'name="%s"' % ew(fname, "UTF-8")
    elif style == "2047jis":
        dn = 'filename="%s"' % ew(fname, "ISO-2022-JP")
        tn = 'name="%s"' % ew(fname, "ISO-2022-JP")
    elif style == "2047sjis":
        dn = 'filename="%s"' % ew(fname, "Shift_JIS")
        tn = 'name="%s"' % ew(fname, "Shift_JIS")
    else:
        dn = 'filename="%s"' % ew(fname, "UTF-8")
        tn = 'name="%s"' % ew(fname, "UTF-8")
    cs = "; charset=%s" % charset if charset else ""
    h = "Content-Type: %s%s;\n %s\nContent-Disposition: attachment;\n %s\nContent-Transfer-Encoding: base64\n" % (
        ctype, cs, tn, dn)
    return h.encode() + b"\n" + body_bytes(data, "base64")


def rfc822_part(msg, fname=None):
    h = "Content-Type: message/rfc822\n"
    if fname:
        h += "Content-Disposition: attachment;\n %s\n" % rfc2231(fname)
    else:
        h += "Content-Disposition: inline\n"
    return h.encode() + b"\n" + msg


def multipart(sub, parts):
    seq[0] += 1
    b = "----=_Part_%05d_%08X" % (seq[0], R.getrandbits(32))
    out = ("Content-Type: multipart/%s;\n boundary=\"%s\"\n\n" % (sub, b)).encode()
    out += b"This is a multi-part message in MIME format.\n\n"
    for p in parts:
        out += ("--%s\n" % b).encode() + p + b"\n"
    out += ("--%s--\n" % b).encode()
    return out


def html_of(text):
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    paras = "".join("<div>%s</div>\n" % (l if l.strip() else "<br>") for l in esc.split("\n"))
    return ("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html\"></head>"
            "<body style=\"font-family: 'MS Pゴシック'\">\n%s</body></html>\n" % paras)


def signature(dept):
    city = R.choice(CITIES)
    p = person()
    return ("\n\n--\n%s %s\n%s（内線%d）\n〒%s %s%s%s%d-%d\nTEL %s　FAX %s\nE-mail: %s@example.lg.jp\n" % (
        city[0], dept[0], pname(p, "sp"), R.randrange(2000, 4999), city[2], city[3], city[0],
        R.choice(TOWNS), R.randrange(1, 9), R.randrange(1, 30), landline(), landline(), dept[1]))


MSGS = []


def mail(name, labels, note, subject, text, atts=(), cs=None, html=None, fwd=None, to=None,
         subj_cs=None, sig=True, dept=None):
    """Queue one message; attachments may be lazy (callables run after conversions)."""
    MSGS.append(dict(name=name, labels=labels, note=note, subject=subject, text=text, atts=list(atts),
                     cs=cs, html=html, fwd=fwd, to=to, subj_cs=subj_cs, sig=sig, dept=dept))


def render(m, idx):
    cs = m["cs"] or R.choice(["ISO-2022-JP", "ISO-2022-JP", "Shift_JIS", "UTF-8", "UTF-8"])
    dept = m["dept"] or R.choice(SENDERS)
    text = m["text"]
    if m["sig"]:
        text = text.rstrip("\n") + signature(dept)
    try:
        enc(text + m["subject"], cs)
    except UnicodeEncodeError:
        cs = "UTF-8"    # a character outside JIS X 0208/CP932 (㊙): the client sends UTF-8
    scs = m["subj_cs"] or (cs if cs != "Shift_JIS" or R.random() < 0.5 else "UTF-8")
    html = m["html"] if m["html"] is not None else (R.random() < 0.2)
    if html:
        body = multipart("alternative", [text_part(text, cs), text_part(html_of(text), cs, sub="html")])
    else:
        body = text_part(text, cs)
    parts = []
    for a in m["atts"]:
        if callable(a):
            a = a()
        parts.append(a)
    if m["fwd"] is not None:
        parts.append(m["fwd"])
    to = m["to"] or ("%s@%s" % (R.choice(["info", "tantou", "eigyo", "support", "m.ito", "k.sato", "office"]),
                                 R.choice(EXT_DOMAINS)))
    date = FIXED_DT + datetime.timedelta(minutes=37 * idx)
    hdr = "From: %s <%s@example.lg.jp>\nTo: %s\nSubject: %s\nDate: %s\nMessage-ID: <eval%04d.%s@example.lg.jp>\nMIME-Version: 1.0\n" % (
        ew(dept[0], "ISO-2022-JP" if cs == "ISO-2022-JP" else "UTF-8"), dept[1], to,
        ew(m["subject"], scs, q=(scs == "UTF-8" and R.random() < 0.3)),
        date.strftime("%a, %d %b %Y %H:%M:%S +0900"), idx, dept[1])
    if R.random() < 0.5:
        hdr += "X-Mailer: %s\n" % R.choice(["Microsoft Outlook 16.0", "Becky! ver. 2.81.04",
                                            "Thunderbird 115.3.1", "Active! mail 6"])
    if parts:
        msg = hdr.encode() + multipart("mixed", [body] + parts)
    else:
        msg = hdr.encode() + body
    return msg


def inner_mail(subject, text, frm="k.ito@sakura-system.example.co.jp", cs="ISO-2022-JP", atts=()):
    body = text_part(text, cs)
    hdr = ("From: %s\nTo: jouhou@example.lg.jp\nSubject: %s\nDate: Tue, 17 Nov 2026 16:02:11 +0900\n"
           "Message-ID: <fwd%d@%s>\nMIME-Version: 1.0\n") % (frm, ew(subject, cs), len(MSGS), frm.split("@")[1])
    if atts:
        return hdr.encode() + multipart("mixed", [body] + list(atts))
    return hdr.encode() + body


# ------------------------------------------------------------- documents

WORK = tempfile.mkdtemp(prefix="sg-eval-")
CONVERT = {}   # target ext -> list of source paths
seqdoc = [0]


def newpath(ext):
    seqdoc[0] += 1
    return os.path.join(WORK, "d%04d%s" % (seqdoc[0], ext))


def normalize_zip(path):
    """Fixed timestamps inside an OOXML/ODF file and in its core properties."""
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    tmp = path + ".n"
    with zipfile.ZipFile(tmp, "w") as z:
        for i, data in items:
            if i.filename.endswith("core.xml") or i.filename == "meta.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2026-11-20T09:00:00Z", data)
                data = re.sub(rb"(<meta:creation-date>|<dc:date>)[^<]*", rb"\g<1>2026-11-20T09:00:00", data)
            if i.filename == "settings.xml":
                # LibreOffice's random revision-save id
                data = re.sub(rb'(config:name="Rsid(?:Root)?"[^>]*>)\d+', rb"\g<1>1", data)
            ni = zipfile.ZipInfo(i.filename, ZIP_DT)
            ni.compress_type = zipfile.ZIP_STORED if i.filename == "mimetype" else zipfile.ZIP_DEFLATED
            ni.external_attr = i.external_attr
            z.writestr(ni, data)
    os.replace(tmp, path)


def normalize_pdf(path):
    with open(path, "rb") as f:
        d = f.read()
    d = re.sub(rb"D:\d{14}(?=[-+Z])", b"D:20261120090000", d)
    d = re.sub(rb"/DocChecksum /[0-9A-Fa-f]+", lambda m: m.group(0)[:14] + b"5" * (len(m.group(0)) - 14), d)
    d = re.sub(rb"/ID\s*\[\s*<[0-9A-Fa-f]+>\s*<[0-9A-Fa-f]+>\s*\]",
               lambda m: re.sub(rb"<[0-9A-Fa-f]+>", lambda h: b"<" + b"5" * (len(h.group(0)) - 2) + b">", m.group(0)), d)
    with open(path, "wb") as f:
        f.write(d)


def docx_doc(paras, header=None, footer=None, tables=(), table_first=False):
    import docx
    from docx.shared import Pt
    d = docx.Document()
    st = d.styles["Normal"]
    st.font.name = "Noto Sans CJK JP"
    st.font.size = Pt(10.5)
    rpr = st.element.get_or_add_rPr()
    rf = rpr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rFonts")
    if rf is not None:
        rf.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", "Noto Sans CJK JP")
    sec = d.sections[0]
    if header:
        sec.header.paragraphs[0].text = header
    if footer:
        sec.footer.paragraphs[0].text = footer

    def add_tables():
        for t in tables:
            tb = d.add_table(rows=len(t), cols=len(t[0]))
            tb.style = "Table Grid"
            for i, row in enumerate(t):
                for j, cell in enumerate(row):
                    tb.cell(i, j).text = str(cell)
    if table_first:
        add_tables()
    for p in paras:
        d.add_paragraph(p)
    if not table_first:
        add_tables()
    d.core_properties.author = "桜川市"
    d.core_properties.created = FIXED_DT
    d.core_properties.modified = FIXED_DT
    d.core_properties.last_modified_by = "桜川市"
    path = newpath(".docx")
    d.save(path)
    normalize_zip(path)
    return path


def xlsx_doc(sheets, header=None, footer=None):
    """sheets: list of (title, rows, formats {col: numfmt}); dates as date objects."""
    import openpyxl
    from openpyxl.styles import Font
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows, fmts in sheets:
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(list(r))
        for col, f in (fmts or {}).items():
            for c in ws.iter_rows(min_row=1, min_col=col, max_col=col):
                for cell in c:
                    if isinstance(cell.value, (datetime.date, datetime.datetime)):
                        cell.number_format = f
        ws["A1"].font = Font(bold=True)
        if header:
            ws.oddHeader.center.text = header
        if footer:
            ws.oddFooter.right.text = footer
    wb.properties.creator = "桜川市"
    wb.properties.created = FIXED_DT
    wb.properties.modified = FIXED_DT
    path = newpath(".xlsx")
    wb.save(path)
    normalize_zip(path)
    return path


FODP_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.presentation">
<office:body><office:presentation>
"""


def xml_esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fodp(slides):
    """slides: list of (title, [lines]); written as flat ODP for soffice to make pptx."""
    x = FODP_HEAD
    for i, (title, lines) in enumerate(slides):
        x += '<draw:page draw:name="p%d">\n' % (i + 1)
        x += ('<draw:frame svg:x="1cm" svg:y="0.8cm" svg:width="26cm" svg:height="2.5cm"><draw:text-box>'
              '<text:p>%s</text:p></draw:text-box></draw:frame>\n' % xml_esc(title))
        x += '<draw:frame svg:x="1cm" svg:y="4cm" svg:width="26cm" svg:height="13cm"><draw:text-box>'
        for l in lines:
            x += "<text:p>%s</text:p>" % xml_esc(l)
        x += "</draw:text-box></draw:frame>\n</draw:page>\n"
    x += "</office:presentation></office:body></office:document>\n"
    path = newpath(".fodp")
    with open(path, "w", encoding="utf-8") as f:
        f.write(x)
    return path


def convert(src, ext):
    """Register src for one batched soffice conversion; returns the output path."""
    CONVERT.setdefault(ext, []).append(src)
    return os.path.splitext(src)[0] + ext


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def att_file(path, fname, **kw):
    return lambda: attach_part(read_file(path), fname, **kw)


def csv_cp932(rows, sep=","):
    """A CSV as Excel on Windows saves it: CP932 (through iconv) and CRLF."""
    txt = "\r\n".join(sep.join(str(c) for c in r) for r in rows) + "\r\n"
    src = newpath(".utf8")
    with open(src, "w", encoding="utf-8", newline="") as f:
        f.write(txt)
    out = src[:-5] + ".csv"
    subprocess.run(["iconv", "-f", "UTF-8", "-t", "CP932", "-o", out, src], check=True)
    return out


def archive(kind, members, cp932_names=False):
    """members: list of (name, path-or-lazy path). Made by zip or 7z."""
    d = newpath(".dir")
    os.mkdir(d)
    names = []
    for name, path in members:
        target = os.path.join(os.fsencode(d), name.encode("cp932" if cp932_names else "utf-8"))
        names.append(name.encode("cp932" if cp932_names else "utf-8"))
        ARCH_LATE.append((path, target))
    out = newpath("." + kind)
    ARCHIVES.append((kind, d, names, out))
    return out


ARCH_LATE = []
ARCHIVES = []


def build_archives():
    for src, target in ARCH_LATE:
        shutil.copyfile(src, target)
        os.utime(target, (FIXED_EPOCH, FIXED_EPOCH))
    for kind, d, names, out in ARCHIVES:
        env = dict(os.environ, TZ="UTC")
        if kind == "zip":
            subprocess.run([b"zip", b"-q", b"-X", os.fsencode(out)] + names, cwd=d, check=True, env=env)
        else:
            subprocess.run([b"7z", b"a", b"-bd", b"-y", b"-t7z", b"-mtc=off", b"-mta=off",
                            os.fsencode(out)] + names, cwd=d, check=True, env=env,
                           stdout=subprocess.DEVNULL)


def run_conversions():
    prof = "file://" + os.path.join(WORK, "lo-profile")
    for ext, srcs in sorted(CONVERT.items()):
        # One soffice process per target: starting LibreOffice is the slow part.
        filt = ext[1:]
        for i in range(0, len(srcs), 40):
            batch = srcs[i:i + 40]
            subprocess.run(["soffice", "-env:UserInstallation=" + prof, "--headless", "--norestore",
                            "--convert-to", filt, "--outdir", WORK] + batch, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for s in srcs:
            o = os.path.splitext(s)[0] + ext
            if not os.path.exists(o):
                sys.exit("make-eval: soffice did not write %s" % o)
            if ext == ".pdf":
                normalize_pdf(o)
            else:
                normalize_zip(o)


# ============================================================ scenarios
#
# Payloads (personal data) return (text, attachments, labels, note);
# markings are placed on top of a payload or of ordinary business text.

def L(*ids):
    return set(ids)


def greet(to_person=True):
    org = R.choice(["株式会社さくらシステム", "北山電算株式会社", "社会福祉法人あおば会", "東浜病院 医事課",
                    "ぎょうせいソフト株式会社", "有限会社みどり印刷", "NPO法人ひだまり", "株式会社ケアネット"])
    who = R.choice(["ご担当者様", "伊藤様", "佐藤様", "営業部 御中", "林様", "ご担当 各位"])
    return "%s\n%s\n\nいつもお世話になっております。\n" % (org, who)


ROW_FIELDS = {
    "name": ("氏名", "お名前", "氏名"), "kana": ("フリガナ", "ふりがな", "カナ氏名"),
    "dob": ("生年月日", "生年月日"), "addr": ("住所", "現住所", "住所"),
    "tel": ("電話番号", "連絡先電話番号", "携帯電話"), "mail": ("メールアドレス", "E-mail", "メールアドレス"),
    "mn": ("個人番号", "個人番号（マイナンバー）"), "bank": ("金融機関名",), "branch": ("支店名",),
    "kind": ("種別", "預金種目"), "acct": ("口座番号",), "card": ("カード番号", "クレジットカード番号"),
    "kigo": ("記号",), "bango": ("番号",), "care": ("要介護度",), "diag": ("診断名", "主な疾患"),
    "kubun": ("障害支援区分",), "rel": ("続柄",), "no": ("No.", "番号", "通番"),
}
CARE = ["要支援1", "要支援2", "要介護1", "要介護2", "要介護3", "要介護4", "要介護5"]
DIAG = ["アルツハイマー型認知症", "脳梗塞後遺症", "糖尿病", "統合失調症", "うつ病", "慢性腎不全（透析）",
        "パーキンソン病", "大腿骨頸部骨折", "高血圧症", "肺がん（治療中）"]


def rows_for(fields, n, dob_as="date"):
    head = [R.choice(ROW_FIELDS[f]) if f != "no" else "No." for f in fields]
    rows = [head]
    for i in range(n):
        p = person()
        r = []
        for f in fields:
            if f == "no":
                r.append(i + 1)
            elif f == "name":
                r.append(pname(p, R.choice(["sp", "zen"])))
            elif f == "kana":
                r.append(p["kana"])
            elif f == "dob":
                y, m, d = birth()
                r.append(datetime.date(y, m, d) if dob_as == "date" else dob_text(y, m, d, R.choice(
                    ["slash", "kanji", "abbr", "western", "iso", "eraslash"])))
            elif f == "addr":
                r.append(address())
            elif f == "tel":
                r.append(phone())
            elif f == "mail":
                r.append(email_of(p))
            elif f == "mn":
                r.append(mn_fmt(mynumber(), R.choice(["plain", "hy", "sp"])))
            elif f == "bank":
                r.append(R.choice(BANKS[:-1]))
            elif f == "branch":
                r.append(R.choice(BRANCHES))
            elif f == "kind":
                r.append(R.choice(["普通", "普通", "当座"]))
            elif f == "acct":
                r.append(account7())
            elif f == "card":
                r.append(card()[1])
            elif f == "kigo":
                k, b = post_pair()
                r.append(k)
                r.append(b)
            elif f == "bango":
                pass
            elif f == "care":
                r.append(R.choice(CARE))
            elif f == "diag":
                r.append(R.choice(DIAG))
            elif f == "kubun":
                r.append("区分%d" % R.randrange(1, 7))
            elif f == "rel":
                r.append(R.choice(["妻", "長男", "長女", "次男", "母", "夫"]))
        rows.append(r)
    return rows


def labels_for(fields, n):
    lab = {"roster-table"}
    if "mn" in fields:
        lab.add("mynumber")
    if "dob" in fields:
        lab.add("date-of-birth")
    if "acct" in fields:
        lab.add("bank-account")
    if "card" in fields:
        lab.add("payment-card")
    if "kigo" in fields:
        lab.add("japan-post-account")
    if set(fields) & {"care", "diag", "kubun"}:
        lab.add("special-care")
    if "tel" in fields and n >= 10:
        lab.add("roster-phone")
    if "mail" in fields and n >= 10:
        lab.add("roster-email")
    return lab


TABLE_KINDS = [
    # (title, fields, rows, doc title)
    ("扶養控除等申告書 入力データ", ["no", "name", "kana", "rel", "dob", "mn"], (3, 6)),
    ("年末調整 個人番号一覧", ["no", "name", "mn", "addr"], (4, 8)),
    ("児童手当 口座登録一覧", ["no", "name", "kana", "bank", "branch", "kind", "acct"], (4, 9)),
    ("還付金 振込先一覧", ["name", "addr", "bank", "branch", "kind", "acct"], (3, 7)),
    ("ゆうちょ口座 登録者一覧（ゆうちょ銀行）", ["no", "name", "kana", "kigo", "bango"], (4, 8)),
    ("施設利用料 カード決済エラー一覧", ["no", "name", "card", "tel"], (3, 6)),
    ("要介護認定者 訪問予定", ["no", "name", "dob", "addr", "care"], (4, 9)),
    ("障害福祉サービス 受給者一覧", ["no", "name", "kana", "dob", "kubun", "diag"], (4, 8)),
    ("緊急連絡網", ["no", "name", "tel", "addr"], (10, 16)),
    ("説明会 参加申込者一覧", ["no", "name", "kana", "mail", "tel"], (10, 15)),
    ("講座受講者名簿", ["no", "name", "dob", "addr", "tel"], (5, 9)),
    ("メール配信 登録者", ["no", "name", "mail"], (10, 18)),
    ("民生委員 連絡先一覧", ["no", "name", "addr", "tel"], (10, 14)),
]


def table_text(rows, sep="\t"):
    out = []
    for r in rows:
        out.append(sep.join(c.strftime("%Y/%m/%d") if isinstance(c, datetime.date) else str(c) for c in r))
    return "\n".join(out)


DATE_FMTS = ['yyyy/m/d', 'yyyy"年"m"月"d"日"', '[$-411]ggge"年"m"月"d"日"', 'mm-dd-yy', 'yyyy/mm/dd']


def table_attachment(kind, fmt, header=None, footer=None, fname_prefix="", with_kw=True):
    """A roster table as a document; returns (attachment, labels, note)."""
    title, fields, (lo, hi) = kind
    n = R.randrange(lo, hi + 1)
    rows = rows_for(fields, n, dob_as="date" if fmt == "xlsx" else "text")
    lab = labels_for(fields, n)
    # a header row shifts if the Japan Post pair took two cells
    if "kigo" in fields:
        rows[0] = [c for c in rows[0]]
        i = fields.index("kigo")
        rows[0][i + 1] = "番号"
    base = fname_prefix + title.split("（")[0].replace(" ", "_")
    if fmt == "xlsx":
        di = fields.index("dob") if "dob" in fields else None
        p = xlsx_doc([(R.choice(["Sheet1", "名簿", "一覧", "R7"]), [[title]] + rows,
                       {di + 1: R.choice(DATE_FMTS)} if di is not None else {})], header=header, footer=footer)
        return att_file(p, base + ".xlsx"), lab, "xlsx " + title
    if fmt == "csv":
        p = csv_cp932([[title]] + rows)
        return att_file(p, base + ".csv", ctype="text/csv", charset=R.choice([None, "Shift_JIS"])), lab, "CP932 csv " + title
    if fmt in ("docx", "pdf", "odt"):
        d = docx_doc([title, "（令和7年11月現在）"], header=header, footer=footer, tables=[rows])
        if fmt == "docx":
            return att_file(d, base + ".docx"), lab, "docx table " + title
        o = convert(d, "." + fmt)
        return att_file(o, base + "." + fmt), lab, "LibreOffice %s table %s" % (fmt, title)
    if fmt == "xlsx-pdf":
        di = fields.index("dob") if "dob" in fields else None
        p = xlsx_doc([("一覧", [[title]] + rows, {di + 1: 'yyyy/m/d'} if di is not None else {})],
                     header=header, footer=footer)
        o = convert(p, ".pdf")
        return att_file(o, base + ".pdf"), lab, "LibreOffice Calc PDF " + title
    if fmt in ("zip", "7z", "zipsjis"):
        p = csv_cp932([[title]] + rows)
        a = archive("7z" if fmt == "7z" else "zip", [(base + ".csv", p)], cp932_names=(fmt == "zipsjis"))
        return att_file(a, base + (".7z" if fmt == "7z" else ".zip")), lab, "%s with CP932 csv %s" % (fmt, title)
    raise ValueError(fmt)


# ---- personal data in running text (body, docx, PDF)

def pd_mynumber_text():
    p = person()
    n = mn_fmt(mynumber())
    nm = pname(p)
    t = R.choice([
        "%s様の個人番号は %s です。扶養控除等申告書の記載と照合をお願いします。" % (nm, n),
        "先日ご提出いただいた書類について、マイナンバー（%s）の記載に誤りがないか、%sさんにご確認いただけますでしょうか。" % (n, nm),
        "番号確認書類（通知カード写し）に記載の番号：%s\n対象者：%s" % (n, nm),
        "%s 氏　個人番号 %s　（本人確認済）" % (nm, n),
        "源泉徴収票の再発行にあたり、%s様のマイナンバー %s を記載いたしました。" % (nm, n),
        "講師謝金の支払調書作成のため、%s先生の個人番号を頂戴しました。番号は%sです。" % (nm, n),
        "%sさんから、個人番号カードの写しをいただきました。番号 %s" % (nm, n),
        "法定調書提出用　支払を受ける者：%s　個人番号：%s" % (nm, n),
    ])
    return t, L("mynumber"), "My Number with keyword in running text"


def pd_two_numbers_text():
    a, b = person(), person()
    t = "下記2名分について、提出書類の番号と一致するかご確認ください。\n%s　%s\n%s　%s" % (
        pname(a), mn_fmt(mynumber(), "hy"), pname(b), mn_fmt(mynumber(), "hy"))
    return t, L("mynumber"), "two valid My Numbers without their keyword (medium)"


def pd_card_text():
    p = person()
    kind, c = card()
    brand = {"visa": "VISA", "mc": "Mastercard", "jcb": "JCB", "amex": "American Express"}[kind]
    exp = "%02d/%02d" % (R.randrange(1, 13), R.randrange(27, 32))
    t = R.choice([
        "%s様より、ふるさと納税の決済が二重になっているとの問い合わせがありました。\nカード番号：%s（%s）\n有効期限：%s\n返金処理をお願いいたします。" % (pname(p), c, brand, exp),
        "施設予約システムで決済エラーとなった方の情報です。\n氏名 %s\nクレジットカード番号 %s　有効期限 %s" % (pname(p), c, exp),
        "%sさんから電話があり、%sのカード（%s）で支払った使用料の返金を希望されています。" % (pname(p), brand, c),
        "ご利用者 %s 様\nお支払いカード %s\n%s 有効期限%s" % (pname(p), brand, c, exp),
        "返金対象：%s様　カード番号 %s　期限 %s　（%s）" % (pname(p), c, exp, brand),
    ])
    return t, L("payment-card"), "card number with its words, %s" % brand


def pd_bank_text():
    p = person()
    bank = R.choice(BANKS[:-1])
    acct = account7()
    if R.random() < 0.3:
        acct = fw(acct)
    t = R.choice([
        "%s様の児童手当の振込先を下記のとおり変更します。\n%s　%s　普通　%s\n口座名義　%s" % (pname(p), bank, R.choice(BRANCHES), acct, p["kana"]),
        "補助金の振込先口座\n金融機関：%s %s\n預金種目：普通預金\n口座番号：%s\n名義人：%s" % (bank, R.choice(BRANCHES), acct, p["kana"]),
        "%sさんの還付金は、%s%sの当座 %s へお振込みいたします。" % (pname(p), bank, R.choice(BRANCHES), acct),
        "講師謝礼のお振込先：%s %s 普通 %s（%s）" % (bank, R.choice(BRANCHES), acct, p["kana"]),
        "口座振替依頼書の記載内容（%s様）：%s %s 口座番号%s" % (pname(p), bank, R.choice(BRANCHES), acct),
    ])
    return t, L("bank-account"), "resident's bank account"


def pd_post_text():
    p = person()
    k, b = post_pair()
    t = R.choice([
        "%s様の振込先はゆうちょ銀行です。\n記号 %s　番号 %s" % (pname(p), k, b),
        "給付金の受取口座（ゆうちょ）：記号%s-番号%s　名義 %s" % (k, b, p["kana"]),
        "ゆうちょ銀行 記号・番号 %s-%s（%sさん）へ返金します。" % (k, b, pname(p)),
        "受給者 %s\n受取口座　ゆうちょ銀行\n記号：%s\n番号：%s" % (pname(p), fw(k) if R.random() < 0.3 else k, b),
        "%s 氏の通常貯金口座（記号 %s 番号 %s）について、口座名義の確認をお願いします。" % (pname(p), k, b),
    ])
    return t, L("japan-post-account"), "ゆうちょ 記号/番号 of a person"


def pd_dob_text():
    n = R.choice([1, 1, 2, 3])
    lines = [dob_phrase(person()) for _ in range(n)]
    intro = R.choice(["下記の方の件でご連絡します。", "転入された方の情報です。", "先日ご相談のあった方について",
                      "健診の予約者です。", "申請内容を転記します。", "以下、照会のあった方です。"])
    return intro + "\n" + "\n".join(lines), L("date-of-birth"), "date of birth next to a name (%d)" % n


SC_TEXTS = [
    "{n}様は、令和6年秋に{diag}と診断され、現在{care}の認定を受けています。",
    "{n}さん（{age}歳）は{diag}のため精神科に通院中で、服薬中とのことです。",
    "{n}氏の健康診断の結果、血圧 {bp}、要精密検査との判定でした。",
    "{n}様の既往歴：{diag}。障害支援区分{kubun}、身体障害者手帳2級をお持ちです。",
    "ケース記録　{n}　生活保護受給中。{diag}で入院中のため、訪問を延期します。",
    "{n}さんは療育手帳（A）をお持ちで、日中は就労継続支援B型事業所に通所されています。",
    "{n}様は{care}（認知症あり）で、家族による介護が難しくなっています。",
    "{n}様（世帯主）は生活保護を受給しており、医療扶助で{diag}の治療を受けています。",
    "面談記録：{n}さん。うつ病と診断され休職中。主治医の意見書を受領済み。",
    "{n}氏について、DV被害の相談があり、住民票の閲覧制限を申し出ています。",
]


def sc_fill(tmpl, p):
    return tmpl.format(n=pname(p), diag=R.choice(DIAG), care=R.choice(CARE[2:]), age=R.randrange(40, 95),
                       bp="%d/%d" % (R.randrange(150, 182), R.randrange(92, 110)), kubun=R.randrange(2, 7))


def pd_special_text(with_dob=False):
    p = person()
    t = sc_fill(R.choice(SC_TEXTS), p)
    lab = L("special-care")
    if with_dob:
        y, m, d = birth()
        t += "\n（生年月日 %s）" % dob_text(y, m, d, R.choice(["kanji", "abbr", "slash", "western"]))
        lab.add("date-of-birth")
    return t, lab, "special-care data about a named person" + (" with date of birth" if with_dob else "")


def pd_roster_email_text():
    n = R.randrange(10, 16)
    lines = []
    for i in range(n):
        p = person()
        lines.append(R.choice(["%d. %s　%s", "%d）%s <%s>", "%d %s %s"]) % (i + 1, pname(p), email_of(p)))
    intro = R.choice(["オンライン説明会の参加者（%d名）のアドレスです。招待メールの送付をお願いします。",
                      "子育てサークル連絡用のアドレス一覧（%d名）をお送りします。",
                      "パブリックコメントに意見を提出された方（%d名）の連絡先です。",
                      "ボランティア登録者%d名の連絡先を共有します。"])
    return (intro % n) + "\n\n" + "\n".join(lines), L("roster-email"), "%d people's e-mail addresses, no header" % n


def pd_roster_phone_text():
    n = R.randrange(10, 15)
    lines = []
    for i in range(n):
        p = person()
        lines.append(R.choice(["%s　%s", "%s：%s", "・%s（%s）"]) % (pname(p), phone()))
    intro = R.choice(["%s地区の緊急連絡網です（%d名）。", "%s自治会 班長の連絡先（%d名）をお知らせします。",
                      "%s避難所 運営ボランティア（%d名）の携帯番号です。", "%s見守り対象世帯の連絡先（%d件）"])
    return (intro % (R.choice(TOWNS), n)) + "\n" + "\n".join(lines), L("roster-phone"), "%d people's phone numbers, no header" % n


def pd_small_table_text():
    fields = R.choice([["name", "addr", "tel"], ["name", "kana", "dob"], ["name", "addr", "mail"], ["name", "tel", "addr"]])
    n = R.randrange(2, 6)
    rows = rows_for(fields, n, dob_as="text")
    lab = labels_for(fields, n)
    sep = R.choice(["\t", "　", " | ", "，"])
    return ("申込内容を転記します。\n\n" + table_text(rows, sep)), lab, "small table in the body (%d rows)" % n


PD_TEXT = [pd_card_text, pd_bank_text, pd_post_text, pd_roster_email_text, pd_card_text, pd_bank_text,
           pd_post_text, lambda: pd_special_text(R.random() < 0.4), pd_mynumber_text, pd_roster_phone_text,
           pd_dob_text, pd_roster_email_text]


def closing():
    return "\n\n" + R.choice(["よろしくお願いいたします。", "以上、よろしくお願いします。",
                              "ご確認のほど、よろしくお願い申し上げます。", "取り急ぎご連絡まで。"])


def fname_id(kind):
    seq[0] += 0
    return "%03d_%s" % (len(MSGS) + 1, kind)


def subj_pd():
    return R.choice(["ご確認のお願い", "書類の件", "申請内容の確認について", "【至急】照会の件", "対象者情報の送付",
                     "Re: 先日のお問い合わせ", "データ送付", "返金処理について", "訪問予定の共有", "名簿送付の件"])


# ---- the personal-data messages

def gen_pd():
    # running text in the body, every detector (each about 14-16 times)
    plan = ([pd_mynumber_text] * 11 + [pd_two_numbers_text] * 2 + [pd_card_text] * 9 + [pd_bank_text] * 8 +
            [pd_post_text] * 14 + [pd_dob_text] * 5 + [lambda: pd_special_text(False)] * 7 +
            [lambda: pd_special_text(True)] * 3 + [pd_roster_email_text] * 13 + [pd_roster_phone_text] * 14 +
            [pd_small_table_text] * 4)
    for i, f in enumerate(plan):
        t, lab, note = f()
        html = None
        if i % 7 == 3:
            html = True
        mail(fname_id(sorted(lab)[0]), lab, note + " (body)", subj_pd(), greet() + "\n" + t + closing(), html=html)
    # tables as documents
    fmts = ["xlsx", "csv", "docx", "pdf", "xlsx-pdf", "zip", "7z", "zipsjis", "odt"]
    for i, kind in enumerate(TABLE_KINDS):
        for j in range(4 if i < 8 else 3):
            fmt = fmts[(i * 3 + j) % len(fmts)]
            a, lab, note = table_attachment(kind, fmt)
            mail(fname_id("table_" + fmt), lab, note, R.choice(["名簿の送付", "データ送付の件", kind[0] + "について",
                                                                "一覧表をお送りします", "ご依頼の資料"]),
                 greet() + "\nご依頼の一覧を添付にてお送りします。" + closing(), atts=[a])
    # running text inside documents (PDF and docx), and forwarded mail
    for i in range(16):
        f = [pd_mynumber_text, pd_card_text, pd_bank_text, pd_post_text, pd_dob_text,
             lambda: pd_special_text(True), lambda: pd_special_text(False), pd_card_text][i % 8]
        t, lab, note = f()
        paras = [R.choice(["相談記録票", "照会回答書", "返金依頼書", "連絡票", "経過記録"]), "令和7年11月18日"] + t.split("\n") + ["以上"]
        d = docx_doc(paras)
        if i % 2 == 0:
            a = att_file(convert(d, ".pdf"), R.choice(["記録票.pdf", "照会回答.pdf", "連絡票_1118.pdf"]))
            note += " (LibreOffice PDF text)"
        else:
            a = att_file(d, R.choice(["記録票.docx", "連絡票.docx", "経過記録.docx"]))
            note += " (docx body)"
        mail(fname_id("doc"), lab, note, subj_pd(), greet() + "\n資料を添付します。" + closing(), atts=[a])
    for i in range(6):
        f = [pd_mynumber_text, pd_post_text, pd_dob_text, pd_card_text, lambda: pd_special_text(False), pd_bank_text][i]
        t, lab, note = f()
        inner = inner_mail(R.choice(["お問い合わせの件", "申請書類について", "ご相談"]), "市役所 ご担当者様\n\n" + t + "\n\nよろしくお願いします。",
                           frm="%s" % email_of(person()))
        mail(fname_id("fwd"), lab, note + " (in a forwarded message/rfc822)", "Fw: 住民からの問い合わせ",
             greet() + "\n住民の方からのメールを転送します。" + closing(), fwd=rfc822_part(inner, "問い合わせ.eml"))


# ---- markings

MARKS = {
    "class-3": ["機密性3", "機密性３", "機密性3A", "機密性３Ｂ", "機密性3C", "機密性3", "機密性3B"],
    "class-2": ["機密性2", "機密性２", "機密性2", "機密性２"],
    "handle-with-care": ["取扱注意", "取扱注意", "取扱注意", "取扱い注意"],
    "internal-only": ["部外秘", "社外秘", "部外秘", "庁内限り・部外秘"],
    "parties-only": ["関係者限り", "関係者限り"],
    "secret-mark": ["秘", "秘", "極秘", "㊙"],
}


def bracket(rule, w):
    if rule == "secret-mark":
        if w == "㊙":
            return "㊙"
        if w == "極秘":
            return R.choice(["【極秘】", "極秘"])
        return R.choice(["【秘】", "(秘)", "［秘］", "（秘）"])
    return R.choice(["【%s】", "［%s］", "[%s]", "＜%s＞", "≪%s≫"]) % w


def subj_topic():
    return R.choice(["令和8年度 予算要求資料", "人事異動内示案", "システム更改 調達仕様書（案）", "議会答弁資料",
                     "選挙事務 従事者名簿", "入札参加資格 審査結果", "監査結果報告書（案）", "訴訟対応 打合せメモ",
                     "庁内ネットワーク構成図", "災害対策本部 配備体制", "懲戒処分の検討資料", "委託契約 見積比較"])


def ordinary_text():
    return R.choice([
        "標記の件、資料を送付いたします。内容をご確認のうえ、11月28日（金）までにご意見をお寄せください。",
        "打合せでお話しした件の資料です。次回は12月3日 14:00から第2会議室で行います。",
        "来年度の体制について、現時点の案をお送りします。確定版は別途お知らせします。",
        "ご依頼のあった資料を添付します。修正点は赤字で示しています。",
        "本件の進め方について、事務局案を作成しました。ご確認をお願いします。",
    ])


def place_mark(rule, how, payload=None):
    """One message with the marking of rule placed in way how, on a payload or ordinary text."""
    w = R.choice(MARKS[rule])
    lab = {rule}
    t, plab, pnote = payload() if payload else (ordinary_text(), set(), "")
    lab |= plab
    subject = subj_topic() if not payload else subj_pd()
    body = greet() + "\n" + t + closing()
    atts = []
    fwd = None
    note = how
    b = bracket(rule, w)
    if how == "subject":
        subject = R.choice(["%s%s", "%s %s", "Re: %s%s", "RE: %s%s", "%s　%s"]) % (b, subject)
    elif how == "subject-bare":
        if rule == "secret-mark":
            subject = b + subject
        else:
            subject = "%s %s" % (w, subject)
    elif how == "line":
        body = greet() + "\n" + R.choice([b, w, "取扱区分：%s" % w if rule != "secret-mark" else b]) + "\n" + t + closing()
        if rule in ("class-3", "class-2") and R.random() < 0.5:
            body = greet() + "\n" + R.choice(["機密性：%s" % w[-1] if w[-1] in "23２３" else "機密性：3",
                                              "機密性 %s" % w[3:]]) + "\n" + t + closing()
    elif how == "sentence":
        s = {"class-3": ["本資料は%sです。", "添付ファイルは%sに該当します。", "本メールの内容は%sの情報です。"],
             "class-2": ["本資料は%sです。", "添付資料は%sに該当します。", "本メールは%sの情報を含みます。"],
             "handle-with-care": ["本資料は%sです。", "添付の名簿は%sとしてください。"],
             "internal-only": ["本資料は%sです。", "添付資料は%sとしてお取り扱いください。"],
             "parties-only": ["本資料は%sです。", "添付資料の取扱いは%sです。"],
             "secret-mark": ["本資料は%sです。"]}[rule]
        ww = w if rule != "secret-mark" else R.choice(["極秘", "秘文書"])
        if rule == "secret-mark" and ww == "秘文書":
            ww = "極秘"
        body = greet() + "\n" + t + "\n" + R.choice(s) % ww + closing()
    elif how in ("filename", "docx-header", "docx-footer", "pdf-header", "pdf-text", "xlsx-header", "pptx",
                 "zip-name", "odt-header"):
        fn = R.choice(["会議資料", "名簿", "検討資料", "報告書", "一覧"])
        if how == "filename":
            fname = R.choice(["%s%s.xlsx", "%s_%s.pdf", "%s%s.docx"]) % (b, fn)
            ext = fname.rsplit(".", 1)[1]
            if ext == "xlsx":
                p = xlsx_doc([("Sheet1", [["項目", "内容"], ["日時", "12月3日"], ["場所", "第2会議室"]], {})])
            elif ext == "docx":
                p = docx_doc([fn, ordinary_text()])
            else:
                p = convert(docx_doc([fn, ordinary_text()]), ".pdf")
            atts.append(att_file(p, fname))
        else:
            paras = [R.choice(["検討資料", "報告書", "会議録", "調査票"]), "令和7年11月"] + (t.split("\n") if payload else [ordinary_text()])
            if payload:
                body = greet() + "\n資料を添付します。" + closing()
            head = b if R.random() < 0.7 else w
            if how in ("docx-header", "pdf-header", "odt-header"):
                d = docx_doc(paras, header=head)
            elif how == "docx-footer":
                d = docx_doc(paras, footer=head + "　桜川市")
            elif how == "pdf-text":
                d = docx_doc([head] + paras)
            if how == "docx-header" or how == "docx-footer":
                atts.append(att_file(d, fn + ".docx"))
            elif how in ("pdf-header", "pdf-text"):
                atts.append(att_file(convert(d, ".pdf"), fn + ".pdf"))
            elif how == "odt-header":
                atts.append(att_file(convert(d, ".odt"), fn + ".odt"))
            elif how == "xlsx-header":
                p = xlsx_doc([("集計", [[paras[0]], ["項目", "値"], ["件数", 12], ["備考", paras[-1][:30]]], {})], header=head)
                if payload:
                    p = xlsx_doc([("集計", [[paras[0]]] + [[x] for x in paras[1:]], {})], header=head)
                atts.append(att_file(p, fn + ".xlsx"))
            elif how == "pptx":
                f = fodp([(head + " " + paras[0], paras[1:3]), ("内容", paras[2:] or ["（略）"])])
                atts.append(att_file(convert(f, ".pptx"), fn + ".pptx"))
            elif how == "zip-name":
                d2 = docx_doc(paras)
                kind = R.choice(["zip", "7z"])
                a = archive(kind, [("%s%s.docx" % (b, fn), d2)], cp932_names=(kind == "zip" and R.random() < 0.5))
                atts.append(att_file(a, fn + "." + kind))
    elif how == "fwd-subject":
        inner = inner_mail("%s%s" % (b, subj_topic()), "関係各位\n\n" + t + "\n\n以上")
        fwd = rfc822_part(inner, R.choice([None, "転送メール.eml"]))
        body = greet() + "\n参考までに転送します。" + closing()
        subject = R.choice(["転送：参考送付", "Fw: ご参考", "資料の転送"])
    else:
        raise ValueError(how)
    note = "%s %s as %s%s" % (rule, w, how, (" + " + pnote) if pnote else "")
    mail(fname_id(rule), lab, note, subject, body, atts=atts, fwd=fwd)


HOWS = ["subject", "subject", "subject", "subject-bare", "line", "line", "sentence", "sentence", "filename",
        "docx-header", "docx-footer", "pdf-header", "pdf-text", "xlsx-header", "pptx", "zip-name", "fwd-subject",
        "odt-header", "subject", "line"]


def gen_marks():
    for rule in ["class-3", "class-2", "handle-with-care", "internal-only", "parties-only", "secret-mark"]:
        for i in range(len(HOWS)):
            payload = None
            if i % 2 == 1:
                payload = PD_TEXT[(i // 3 + len(rule)) % len(PD_TEXT)]
            place_mark(rule, HOWS[i], payload)
        # two markings together, as offices write them
    combos = [("class-2", "handle-with-care"), ("class-3", "parties-only"), ("secret-mark", "handle-with-care"),
              ("internal-only", "parties-only"), ("class-2", "internal-only"), ("class-3", "secret-mark")]
    for k in range(24):
        a, b = combos[k % len(combos)]
        wa, wb = R.choice(MARKS[a]), R.choice(MARKS[b])
        subj = "%s%s%s" % (bracket(a, wa), bracket(b, wb), subj_topic())
        lab = {a, b}
        t, plab, pnote = (PD_TEXT[k % len(PD_TEXT)]() if k % 2 else (ordinary_text(), set(), ""))
        mail(fname_id("two_marks"), lab | plab, "two markings in the Subject: %s %s%s" % (wa, wb, " + " + pnote if pnote else ""),
             subj, greet() + "\n" + t + closing())
    for k in range(12):
        a, b = combos[k % len(combos)]
        wa, wb = R.choice(MARKS[a]), R.choice(MARKS[b])
        head = "%s　%s" % (bracket(a, wa), bracket(b, wb))
        kind = TABLE_KINDS[k % len(TABLE_KINDS)]
        fmt = ["xlsx", "docx", "pdf", "xlsx-pdf", "odt"][k % 5]
        att, plab, pnote = table_attachment(kind, fmt, header=head)
        mail(fname_id("marked_table"), {a, b} | plab, "%s in the page header + %s" % (head, pnote),
             subj_pd(), greet() + "\n一覧を送付します。" + closing(), atts=[att])


MENTIONS = [
    ("class-3", "なお、機密性3の情報はメールで送信できませんので、庁内の共有フォルダをご利用ください。"),
    ("class-3", "情報資産の格付けで機密性３に当たるもの（個人情報を含むもの）は、外部記録媒体への保存も禁止です。"),
    ("class-3", "ガイドラインの改定により、機密性3は3A・3B・3Cに細分化されました。"),
    ("class-2", "原則として、機密性2以上の情報を含む資料はパスワードを設定して送付してください。"),
    ("class-2", "委託先とのやり取りで機密性２の情報を扱う場合は、情報セキュリティ管理者の許可が必要です。"),
    ("handle-with-care", "会議後は、取扱注意と表示された資料を回収しますので、机上に残してお帰りください。"),
    ("handle-with-care", "研修では、取扱注意の文書を庁外に持ち出す際の手続を説明します。"),
    ("internal-only", "配布資料のうち部外秘とされたものは、委託事業者へ転送しないよう徹底してください。"),
    ("internal-only", "過去に、社外秘の資料が誤って外部に送信された事例がありました。"),
    ("parties-only", "打合せ資料のうち関係者限りのものは、会議終了後に回収させていただきます。"),
    ("parties-only", "昨年度の監査では、関係者限りの資料を共有フォルダに置いたままにしていたことが指摘されました。"),
    ("secret-mark", "なお、極秘扱いの文書の複製は禁止されています。"),
]


def gen_mentions():
    intro = ["職員各位\n\n情報セキュリティ研修のご案内です。", "委託事業者の皆様\n\n情報の取扱いについて改めてお知らせします。",
             "各課情報セキュリティ担当者 様\n\n今月のセキュリティ通信をお送りします。",
             "研修資料（抜粋）です。", "先日の説明会でのご質問への回答です。"]
    for k in range(32):
        rule, s = MENTIONS[k % len(MENTIONS)]
        lab = {"classification-mention"}
        where = ["body", "body", "body", "pdf", "pptx", "docx"][k % 6]
        text = R.choice(intro) + "\n\n" + R.choice([
            "メールを送信する前に、宛先と添付ファイルを必ず確認してください。",
            "個人情報を含むファイルは暗号化し、パスワードは別の手段でお伝えください。"]) + "\n" + s + "\n"
        atts = []
        if where == "body":
            body = text + closing()
        else:
            body = R.choice(intro) + "\n資料を添付します。" + closing()
            paras = ["情報セキュリティ研修", "1. メール送信時の注意", text.replace("\n\n", "\n")]
            if where == "pdf":
                atts.append(att_file(convert(docx_doc(paras), ".pdf"), "研修資料.pdf"))
            elif where == "docx":
                atts.append(att_file(docx_doc(paras), "セキュリティ通信.docx"))
            else:
                atts.append(att_file(convert(fodp([("情報セキュリティ研修", ["令和7年度 職員研修"]),
                                                   ("メール送信時の注意", [s, "宛先はBccで"])]), ".pptx"), "研修.pptx"))
        mail(fname_id("mention"), lab, "mention in running text (%s): %s" % (where, s[:20]),
             R.choice(["情報セキュリティ研修のご案内", "セキュリティ通信 11月号", "情報の取扱いについて（再周知）",
                       "研修資料の送付", "ご質問への回答"]), body, atts=atts)


# ---- ordinary mail that must pass

FACILITIES = ["本庁舎", "北山支所", "東浜出張所", "中央図書館", "東図書館", "みどり図書室", "さくら保育園", "みなみ保育園",
              "あさひ保育園", "中央公民館", "西原公民館", "市民体育館", "子育て支援センター", "保健センター",
              "清掃センター", "市民プール", "郷土資料館", "老人福祉センター", "児童館", "上下水道お客様センター"]


def facility_rows(n):
    rows = [["施設名", "所在地", "電話番号"]]
    for f in R.sample(FACILITIES, n):
        c = R.choice(CITIES)
        rows.append([f, "%s%s%d-%d" % (c[0], R.choice(TOWNS), R.randrange(1, 9), R.randrange(1, 30)), landline()])
    return rows


def neg_invoice():
    amt = R.randrange(50, 5000) * 1000
    corp = "%d%012d" % (R.randrange(1, 9), R.randrange(10 ** 11, 10 ** 12))
    t = ("%s\n標記の件、11月分の請求書をお送りします。\n\n"
         "請求金額：%s円（税込）\n支払期限：令和7年12月26日\n適格請求書発行事業者登録番号：T%s\n法人番号：%s\n注文番号：%d\n\n"
         "お振込先は請求書に記載のとおりです。") % (greet(), format(amt, ","), corp, corp, R.randrange(10 ** 11, 10 ** 12))
    rows = [["品名", "数量", "単価", "金額"], ["保守作業費（11月分）", 1, amt // 2, amt // 2],
            ["帳票印刷", R.randrange(100, 900), 12, 0], ["消費税", "", "", amt // 11]]
    d = docx_doc(["請　求　書", "桜川市長 様", "令和7年11月30日"], tables=[rows])
    a = att_file(convert(d, ".pdf"), R.choice(["請求書_202511.pdf", "御請求書.pdf", "見積書.pdf"]))
    return "請求書の送付について", t, [a], "invoice with T-number, 法人番号, order number (PDF)"


def neg_meeting():
    d = R.randrange(1, 28)
    t = ("%s\n下記のとおり打合せを開催します。\n\n日時：令和7年12月%d日（%s）14:00〜15:30\n場所：本庁舎 4階 第2会議室\n"
         "議題：\n①次期システムの移行計画\n②帳票レイアウトの確認\n③その他\n\nご出席の可否を12月%d日までにお知らせください。") % (
        greet(), d, R.choice("月火水木金"), max(1, d - 3))
    atts = []
    if R.random() < 0.5:
        rows = [["工程", "開始", "終了", "担当"]]
        base = datetime.date(2026, 1, 5)
        for i, w in enumerate(["要件定義", "設計", "開発", "結合試験", "移行", "本番稼働"]):
            rows.append([w, base + datetime.timedelta(days=30 * i), base + datetime.timedelta(days=30 * i + 25),
                         R.choice(["市", "受託者", "市・受託者"])])
        atts.append(att_file(xlsx_doc([("工程表", rows, {2: "yyyy/m/d", 3: 'yyyy"年"m"月"d"日"'})]), "工程表.xlsx"))
    return R.choice(["打合せの開催について", "第3回 定例会のご案内", "【ご案内】移行計画打合せ"]), t, atts, "meeting notice" + (" + xlsx schedule with dates" if atts else "")


def neg_stats():
    kind = R.randrange(5)
    if kind == 0:
        lines = ["要介護度別 認定者数（令和7年9月末現在）"] + ["%s\t%s人" % (c, format(R.randrange(150, 1500), ",")) for c in CARE]
        note = "statistics of 要介護 counts"
    elif kind == 1:
        lines = ["地区別 被保護世帯数・人員（生活保護）"] + ["%s地区\t%d世帯\t%d人" % (t, R.randrange(20, 300), R.randrange(30, 500)) for t in R.sample(TOWNS, 6)]
        note = "生活保護 statistics"
    elif kind == 2:
        lines = ["月別 出生数・死亡数（令和7年）"] + ["%d月\t出生 %d人\t死亡 %d人" % (m, R.randrange(30, 90), R.randrange(60, 140)) for m in range(1, 10)]
        note = "birth counts by month"
    elif kind == 3:
        lines = ["障害者手帳 交付状況（年度末）", "身体障害者手帳\t%d件" % R.randrange(2000, 4000), "療育手帳\t%d件" % R.randrange(300, 900),
                 "精神障害者保健福祉手帳\t%d件" % R.randrange(400, 1200), "障害支援区分 認定件数\t%d件" % R.randrange(100, 400)]
        note = "disability certificate statistics"
    else:
        lines = ["特定健康診査 受診率", "令和5年度\t%.1f%%" % R.uniform(30, 45), "令和6年度\t%.1f%%" % R.uniform(30, 45),
                 "要精密検査となった方の割合\t%.1f%%" % R.uniform(5, 12), "うち精密検査受診率\t%.1f%%" % R.uniform(50, 80)]
        note = "health-check statistics"
    where = R.choice(["body", "xlsx", "pdf"])
    t = greet() + "\n照会のあった統計データをお送りします。\n"
    atts = []
    if where == "body":
        t += "\n" + "\n".join(lines)
    elif where == "xlsx":
        atts.append(att_file(xlsx_doc([("統計", [l.split("\t") for l in lines], {})]), "統計データ.xlsx"))
    else:
        atts.append(att_file(convert(docx_doc(lines), ".pdf"), "統計資料.pdf"))
    return R.choice(["統計データの送付", "照会への回答（統計）", "Re: 統計資料のお願い"]), t, atts, note + " (%s)" % where


def neg_newsletter():
    kind = R.randrange(4)
    if kind == 0:
        m, d = R.randrange(1, 13), R.randrange(1, 29)
        mas = R.choice(["さくらん", "きたやまくん", "はまっぴー", "わかばちゃん"])
        t = R.choice([
            "市のマスコットキャラクター「%s」の誕生日は%d月%d日です。当日は市役所ロビーで誕生日をお祝いするイベントを開催します。" % (mas, m, d),
            "「%s」は平成25年%d月%d日生まれ。今年で12歳になります。記念グッズのプレゼントもあります。" % (mas, m, d),
            "ゆるキャラ「%s」（%d月%d日生まれ）が、今年も市民まつりにやってきます！" % (mas, m, d),
        ])
        note = "mascot's birthday"
    elif kind == 1:
        t = "図書館だより 12月号\n・冬のおはなし会：12月14日（日）10:30〜 中央図書館 2階\n・年末年始の休館：12月28日〜1月4日\n・新着図書のご案内（ISBN 978-4-%02d-%06d-%d ほか）" % (
            R.randrange(10, 99), R.randrange(0, 999999), R.randrange(0, 10))
        note = "library newsletter with ISBN"
    elif kind == 2:
        t = "広報さくらがわ 12月号の原稿をお送りします。\n・防災訓練（12月7日）の結果報告\n・市民まつりの開催報告（来場者 約12,000人）\n・ふるさと納税のお礼の品に新商品を追加しました"
        note = "newsletter draft"
    else:
        t = ("子育て情報メール\n・乳幼児健診（4か月児）：12月9日 保健センター\n・子育てひろば：毎週水曜 10:00〜12:00\n"
             "・お問い合わせ：子育て支援センター %s") % landline()
        note = "parenting newsletter with one facility number"
    atts = []
    if R.random() < 0.35:
        atts.append(att_file(convert(docx_doc(t.split("\n")), ".pdf"), "お知らせ.pdf"))
        body = greet() + "\n今月のお知らせを添付します。"
    else:
        body = greet() + "\n" + t
    return R.choice(["12月のお知らせ", "広報原稿の送付", "イベントのご案内", "図書館だより"]), body, atts, note


def neg_training():
    s = R.choice([
        "マイナンバー（個人番号）を含む書類をメール本文に記載することは禁止されています。",
        "生年月日や住所を含む名簿を外部に送る場合は、ファイルを暗号化し、パスワードは別の手段で伝えてください。",
        "要配慮個人情報（病歴、障害、犯罪の経歴など）は、本人の同意なく取得してはいけません。",
        "複数の住民にメールを送る場合は、必ずBccを使用してください。",
        "口座番号やクレジットカード番号は、電話で読み上げる際も周囲に注意してください。",
        "PPAP（パスワード付きZIPとパスワードの同じ経路での送付）は廃止されました。",
    ])
    t = "情報セキュリティ研修（個人情報の取扱い）\n・宛先の確認は送信前に複数人で行う\n・" + s + "\n・誤送信に気付いたら、直ちに情報セキュリティ管理者へ報告する"
    where = R.choice(["body", "body", "pptx", "pdf"])
    atts = []
    if where == "body":
        body = "職員各位\n\n" + t
    elif where == "pptx":
        atts.append(att_file(convert(fodp([("個人情報の取扱い", ["令和7年度 情報セキュリティ研修"]), ("メール送信の注意", t.split("\n")[1:])]), ".pptx"), "研修資料.pptx"))
        body = "受講者各位\n\n研修資料を添付します。"
    else:
        atts.append(att_file(convert(docx_doc(t.split("\n")), ".pdf"), "研修テキスト.pdf"))
        body = "委託事業者 各位\n\n研修テキストを送付します。"
    return R.choice(["情報セキュリティ研修の資料", "個人情報の取扱いについて", "研修テキストの送付"]), body, atts, "training about personal data (%s)" % where


def neg_facilities():
    n = R.randrange(10, 16)
    rows = facility_rows(n)
    where = R.choice(["body", "xlsx", "csv", "pdf"])
    atts = []
    intro = R.choice(["市内公共施設の連絡先一覧です。", "年末年始の開庁・開館状況の問い合わせ先（%d施設）です。" % n,
                      "避難所となる施設の電話番号一覧をお送りします。"])
    if where == "body":
        body = greet() + "\n" + intro + "\n\n" + table_text(rows, R.choice(["\t", "　"]))
    else:
        body = greet() + "\n" + intro + "添付をご確認ください。"
        if where == "xlsx":
            atts.append(att_file(xlsx_doc([("施設一覧", rows, {})]), "施設一覧.xlsx"))
        elif where == "csv":
            atts.append(att_file(csv_cp932(rows), "施設連絡先.csv", ctype="text/csv"))
        else:
            atts.append(att_file(convert(docx_doc(["公共施設 連絡先一覧"], tables=[rows]), ".pdf"), "施設連絡先.pdf"))
    return R.choice(["施設連絡先一覧", "公共施設の電話番号", "避難所一覧の送付"]), body, atts, "%d facility phone numbers (%s): places, not people" % (n, where)


def neg_born_notice():
    t = R.choice([
        "保護者の皆様\n\n令和2年4月2日から令和3年4月1日までに生まれたお子さんを対象に、就学時健康診断を行います。",
        "4月1日までに生まれたお子さんは、来年度の入園申込みの対象となります。詳しくは子育て支援課までお問い合わせください。",
        "平成31年4月1日までに生まれたお子さんの保護者の方へ、予防接種（二期）のお知らせをお送りしています。",
        "昭和35年4月2日から昭和36年4月1日までに生まれた方は、今年度の節目健診の対象です。",
        "令和7年度に満3歳を迎えるお子さん（令和4年4月2日〜令和5年4月1日生まれ）は、3歳児健診の対象です。",
    ])
    return R.choice(["健診のお知らせ（保護者向け）", "入園申込みのご案内", "予防接種のお知らせ"]), t, [], "born-before notice to all parents"


def neg_blank_form():
    fields = R.choice([["氏名", "フリガナ", "生年月日", "住所", "電話番号"], ["氏名", "住所", "電話番号", "メールアドレス"],
                       ["申請者氏名", "生年月日", "個人番号", "口座番号"]])
    rows = [fields] + [[""] * len(fields) for _ in range(5)]
    where = R.choice(["xlsx", "docx", "pdf"])
    body = greet() + "\n申請書の様式（未記入）をお送りします。記入のうえご提出ください。"
    if where == "xlsx":
        a = att_file(xlsx_doc([("様式", [["申請書（様式第1号）"]] + rows, {})]), "申請書様式.xlsx")
    elif where == "docx":
        a = att_file(docx_doc(["申請書（様式第1号）", "令和　年　月　日"], tables=[rows]), "申請書様式.docx")
    else:
        a = att_file(convert(docx_doc(["申請書（様式第1号）"], tables=[rows]), ".pdf"), "申請書様式.pdf")
    return "申請書様式の送付", body, [a], "blank form with personal-field headers, no rows (%s)" % where


def neg_staff_health():
    t = R.choice([
        "職員各位\n\n定期健康診断の結果、要精密検査と判定された方は、12月末までに医療機関を受診し、結果を人事課へ提出してください。",
        "全職員の皆様\n\nストレスチェックを実施します。結果は本人にのみ通知され、高ストレスと判定された方は産業医の面接指導を受けることができます。",
        "職員各位\n\nインフルエンザ予防接種の費用助成について。既往歴やアレルギーのある方は、接種前に医師に相談してください。",
    ])
    return R.choice(["健康診断についてのお知らせ", "ストレスチェックの実施について", "予防接種の費用助成"]), t, [], "notice to all staff about health"


def neg_numbers():
    k = R.randrange(5)
    if k == 0:
        n = mynumber(valid=False)
        t = "マイナンバーカードの交付申請書に記載の申請書ID（%s）の読み取りができないとの連絡がありました。" % n
        t = "管理番号 %s の件、システム上で照会できませんでした。受付番号をご確認ください。" % n
        note = "12-digit number with a wrong check digit"
    elif k == 1:
        lines = ["%s\tJAN %d\t%d個" % (g, R.randrange(4900000000000, 4999999999999), R.randrange(1, 50)) for g in ["コピー用紙A4", "トナー", "ボールペン", "付箋", "クリアファイル"]]
        t = "物品の発注内容です。\n" + "\n".join(lines)
        note = "order list with JAN codes"
    elif k == 2:
        t = "市の使用料の納付は、郵便振替（口座番号 00%d-%d-%06d　加入者名 桜川市）でもお受けしています。" % (R.randrange(100, 999), R.randrange(1, 9), R.randrange(0, 999999))
        note = "the city's own 振替口座"
    elif k == 3:
        t = "個人番号の記入例：1234 5678 9012（架空の番号です）。実際の番号は記入しないでください。"
        t = t.replace("1234 5678 9012", mn_fmt(mynumber(valid=False), "sp"))
        note = "form instruction, an example number with a wrong check digit"
    else:
        t = "新着図書\n" + "\n".join("ISBN978-4-%d-%06d-%d" % (R.randrange(0, 9), R.randrange(0, 999999), R.randrange(0, 9)) for _ in range(4))
        note = "ISBN list"
    return R.choice(["照会の件", "発注内容", "お知らせ"]), greet() + "\n" + t, [], note


def neg_words():
    t, note = R.choice([
        ("秘密保持契約書（案）を添付いたします。ご確認のほどお願いいたします。", "秘密保持契約"),
        ("市長秘書課より、来週の日程調整の依頼がありました。", "秘書課"),
        ("【機密性1】広報用の資料です。ホームページに掲載予定です。", "機密性1 label"),
        ("情報の機密性・完全性・可用性を確保するため、システムの更新を行います。", "CIA 機密性 without a class"),
        ("今年度の誕生日会は、12月の保育園行事として実施します。", "誕生日会 at a nursery"),
        ("出生届の記入方法について、記載例を添付します。", "出生届 instruction"),
        ("古い公民館が図書館として生まれ変わることになりました。", "生まれ変わる"),
        ("【お知らせ】令和7年12月10日付けで組織改正を行います（H30.4.1付けの改正の見直し）。", "ordinary dates"),
    ])
    return R.choice(["ご連絡", "お知らせ", "資料送付", "ご案内"]), greet() + "\n" + t, [], note


def neg_forward_zip():
    k = R.randrange(3)
    if k == 0:
        inner = inner_mail("打合せ日程の件", "日程候補は12月3日、4日、8日です。ご都合をお知らせください。")
        return "Fw: 打合せ日程の件", greet() + "\n転送します。", [lambda: rfc822_part(inner, "打合せ日程.eml")], "forwarded ordinary mail"
    d = docx_doc(["会議次第", "1. 開会", "2. 議事", "3. 閉会"])
    x = xlsx_doc([("予算", [["費目", "金額"], ["委託料", 1200000], ["需用費", 340000]], {})])
    kind = R.choice(["zip", "7z"])
    a = archive(kind, [("会議次第.docx", d), ("予算.xlsx", x)], cp932_names=(kind == "zip" and R.random() < 0.5))
    return "会議資料の送付", greet() + "\n会議資料を圧縮して送付します。", [att_file(a, "会議資料." + kind)], "%s of ordinary documents" % kind


NEG = [(neg_invoice, 16), (neg_meeting, 20), (neg_stats, 20), (neg_newsletter, 18), (neg_training, 18),
       (neg_facilities, 16), (neg_born_notice, 10), (neg_blank_form, 10), (neg_staff_health, 8), (neg_numbers, 14),
       (neg_words, 18), (neg_forward_zip, 12)]


def gen_neg():
    for f, n in NEG:
        for _ in range(n):
            subj, body, atts, note = f()
            mail(fname_id("ok"), set(), note, subj, body + closing(), atts=atts)


# ================================================================= main

def main():
    gen_pd()
    gen_marks()
    gen_mentions()
    gen_neg()
    # interleave deterministically so that neighbouring files differ in kind
    order = list(range(len(MSGS)))
    R.shuffle(order)
    msgs = [MSGS[i] for i in order]
    for i, m in enumerate(msgs):
        m["file"] = "%03d_%s.eml" % (i + 1, m["name"].split("_", 1)[1])
    stats(msgs)
    if os.environ.get("EVAL_DRY"):
        return
    build_archives_needed = True
    run_conversions()
    build_archives()
    for f in os.listdir(OUT):
        if f.endswith(".eml"):
            os.unlink(os.path.join(OUT, f))
    lines = ["# file\texpected rule ids (personal-data and classified; empty: none)\tnote",
             "# Written by tests/corpus-eval/make-eval.py (held-out set, issue 17); checked by tests/corpus-eval/accuracy.sh."]
    for i, m in enumerate(msgs):
        data = render(m, i + 1)
        with open(os.path.join(OUT, m["file"]), "wb") as f:
            f.write(data)
        lines.append("%s\t%s\t%s" % (m["file"], ",".join(sorted(m["labels"])), m["note"].replace("\t", " ").replace("\n", " ")))
    with open(os.path.join(OUT, "labels.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    shutil.rmtree(WORK)


PD_RULES = ["mynumber", "payment-card", "bank-account", "japan-post-account", "date-of-birth", "special-care",
            "roster-email", "roster-phone", "roster-table"]
CL_RULES = ["class-3", "class-2", "handle-with-care", "internal-only", "parties-only", "secret-mark",
            "classification-mention"]


def stats(msgs):
    cnt = {}
    for m in msgs:
        for l in m["labels"]:
            cnt[l] = cnt.get(l, 0) + 1
    neg = sum(1 for m in msgs if not m["labels"])
    pd = sum(1 for m in msgs if m["labels"] & set(PD_RULES))
    cl = sum(1 for m in msgs if m["labels"] & set(CL_RULES))
    sys.stderr.write("make-eval: %d messages, %d ordinary (%.2f), personal-data %d, classified %d\n" % (
        len(msgs), neg, neg / len(msgs), pd, cl))
    for r in PD_RULES + CL_RULES:
        sys.stderr.write("  %-24s %d\n" % (r, cnt.get(r, 0)))
    bad = [r for r in PD_RULES + CL_RULES if cnt.get(r, 0) < 30]
    if bad or neg * 3 < len(msgs) or len(msgs) < 300:
        sys.exit("make-eval: set too small: %s" % bad)


if __name__ == "__main__":
    main()
