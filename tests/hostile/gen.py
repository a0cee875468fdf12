#!/usr/bin/python3
"""
NAME
	gen.py - write the hostile input catalogue (tests/hostile/run.sh)
SYNOPSIS
	/usr/bin/python3 tests/hostile/gen.py OUTDIR SRCDIR
DESCRIPTION
	Writes one message per hostile input into OUTDIR (NAME.eml), each
	from tanaka@example.lg.jp to an external recipient, so that every
	content rule runs. Big inputs are made here at test time, never
	committed. Standard library only; the archive, OLE and PDF cases
	are built byte by byte (no 7z, zip or qpdf needed), and the OLE
	and 7z cases patch committed fixtures (SRCDIR/tests/fixtures).

	Cases: nested multiparts 1,000 deep; 100,000 parts; a 1 MB header
	line; NUL bytes in headers and body; broken base64; broken
	quoted-printable; a boundary that never closes; charset names that
	lie (and one 10 KB long); RFC 2231 continuations out of order;
	a 42.zip (five levels of 16 zips, 16^5 files of 1 GiB of zeros, a
	PiB in all, in about 70 KB: the original's files are 4.3 GB, but a
	level's compressed entry must stay under deflate's 32 KB window
	for the next level to compress its 16 copies); a zip quine stand-in (see zip_quine);
	a 7z that declares 1 TB; an OLE file with a cyclic FAT; a PDF
	whose xref sections point at each other (/Prev loop); PDFs whose
	cross-reference stream or object stream inflates to 512 MiB (one
	behind ASCIIHex+Flate), whose 16 content streams inflate to 96 MiB
	each; an OLE file whose streams claim 4 GiB.
"""
import base64
import os
import struct
import sys
import zlib

FROM = "tanaka@example.lg.jp"
TO = "t.yamada@sakura-sys.example"


def headers(subject, extra=""):
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Mon, 24 Nov 2025 10:00:00 +0900\r\n"
            "Message-ID: <hostile-%d@example.lg.jp>\r\nMIME-Version: 1.0\r\n%s"
            % (FROM, TO, subject, zlib.crc32(subject.encode()), extra)).encode()


def with_attachment(subject, name, data, ctype="application/octet-stream"):
    b64 = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return (headers(subject, 'Content-Type: multipart/mixed; boundary="hb"\r\n') +
            b"\r\n--hb\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
            b"\xe8\xb3\x87\xe6\x96\x99\xe3\x82\x92\xe9\x80\x81\xe3\x82\x8a\xe3\x81\xbe\xe3\x81\x99\r\n"
            b"--hb\r\nContent-Type: " + ctype.encode() + b'; name="' + name.encode() + b'"\r\n'
            b'Content-Disposition: attachment; filename="' + name.encode() + b'"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 + b"--hb--\r\n")


def nested(depth):
    out = [headers("nested %d" % depth, 'Content-Type: multipart/mixed; boundary="n0"\r\n'), b"\r\n"]
    for d in range(depth):
        out.append(b"--n%d\r\nContent-Type: multipart/mixed; boundary=\"n%d\"\r\n\r\n" % (d, d + 1))
    out.append(b"--n%d\r\nContent-Type: text/plain\r\n\r\ndeep\r\n--n%d--\r\n" % (depth, depth))
    for d in range(depth - 1, -1, -1):
        out.append(b"--n%d--\r\n" % d)
    return b"".join(out)


def many_parts(n):
    out = [headers("parts %d" % n, 'Content-Type: multipart/mixed; boundary="p"\r\n'), b"\r\n"]
    part = b"--p\r\nContent-Type: text/plain\r\n\r\nx\r\n"
    out.append(part * n)
    out.append(b"--p--\r\n")
    return b"".join(out)


def huge_header():
    # 【秘】 first, then 1 MiB of encoded words on one line: the
    # marking must be found whether the line is cut (Postfix keeps
    # header_size_limit, 100 KB) or over max_header_size (a scan limit).
    word = "=?UTF-8?B?" + base64.b64encode("あいうえお".encode()).decode() + "?="
    subj = "=?UTF-8?B?" + base64.b64encode("【秘】".encode()).decode() + "?= " + \
        " ".join([word] * (1100 * 1024 // (len(word) + 1)))
    return headers(subj, "Content-Type: text/plain; charset=UTF-8\r\n") + b"\r\nbody\r\n"


def nul_bytes():
    return (headers("nul", "X-Nul: a\x00b\r\nContent-Type: text/plain; charset=UTF-8\r\n") +
            b"\r\n\x00\x00\xe6\xa9\x9f\xe5\xaf\x86\xe6\x80\xa7\x00\xef\xbc\x92\r\n" +
            b"\x00" * 4096 + "機密性２の資料です\r\n".encode())


def broken_base64():
    data = base64.encodebytes(b"PK\x03\x04" + os.urandom(3000)).replace(b"\n", b"\r\n")
    data = data[:1000] + b"!!!***%%%" + data[1000:2001]   # foreign bytes, cut mid-quantum
    return (headers("broken base64", 'Content-Type: multipart/mixed; boundary="hb"\r\n') +
            b"\r\n--hb\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
            b'--hb\r\nContent-Type: application/zip; name="a.zip"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n" + data + b"\r\n--hb--\r\n")


def broken_qp():
    # invalid escapes (=ZZ, = at the end, =E) around a marking split by
    # soft line breaks: the text must still be read
    body = ("=ZZ=Q=\r\n=E6=A9=9F=E5=AF=86=E6=80=A7=\r\n=EF=BC=92 =E" + "=" * 500 +
            "\r\n=\r\n=G1 end=").encode()
    return headers("broken qp", "Content-Type: text/plain; charset=UTF-8\r\n"
                   "Content-Transfer-Encoding: quoted-printable\r\n") + b"\r\n" + body


def unclosed_boundary():
    return (headers("unclosed", 'Content-Type: multipart/mixed; boundary="never"\r\n') +
            b"\r\n--never\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" +
            "機密性２\r\n".encode() +
            b'--never\r\nContent-Type: application/octet-stream; name="x.bin"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n" +
            base64.encodebytes(b"\x00" * 3000).replace(b"\n", b"\r\n"))


def lying_charsets():
    sjis = "個人番号 1234 5678 9018 機密性２".encode("cp932")
    long_cs = "x" * 10000
    return (headers("charset lies", 'Content-Type: multipart/mixed; boundary="c"\r\n') +
            b'\r\n--c\r\nContent-Type: text/plain; charset="us-ascii"\r\n\r\n' + sjis +
            b'\r\n--c\r\nContent-Type: text/plain; charset="utf-16"\r\n\r\n' + "機密性２".encode() +
            b'\r\n--c\r\nContent-Type: text/plain; charset="iso-2022-jp"\r\n\r\n\x1b$B\xff\xfe\x1b(B' +
            b'\r\n--c\r\nContent-Type: text/plain; charset="../../../../etc/passwd"\r\n\r\nabc' +
            b'\r\n--c\r\nContent-Type: text/plain; charset="' + long_cs.encode() + b'"\r\n\r\nabc' +
            b"\r\n--c--\r\n")


def rfc2231_out_of_order():
    return (headers("rfc2231", 'Content-Type: multipart/mixed; boundary="r"\r\n') +
            b"\r\n--r\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
            b"--r\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Disposition: attachment;\r\n"
            b" filename*2=\".exe\";\r\n filename*0*=UTF-8''%E5%A0%B1%E5%91%8A;\r\n"
            b" filename*1=\"report.pdf\";\r\n filename*1=\"dup\";\r\n filename*99999999999=\"x\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" +
            base64.encodebytes(b"MZ" + b"\x00" * 200) + b"--r--\r\n")


# --- archives, built byte by byte ---------------------------------------------

def zip_archive(entries):
    """entries: (name, method, crc, csize, usize, data); no zip64."""
    local, central, off = [], [], 0
    for name, method, crc, csize, usize, data in entries:
        n = name.encode()
        lh = struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, method, 0, 0x21, crc,
                         csize, usize, len(n), 0) + n
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, method, 0,
                                   0x21, crc, csize, usize, len(n), 0, 0, 0, 0, 0, off) + n)
        local.append(lh + data)
        off += len(lh) + len(data)
    cd = b"".join(central)
    eocd = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, len(entries), len(entries),
                       len(cd), off, 0)
    return b"".join(local) + cd + eocd


def deflate_zeros(n):
    """Raw deflate of n zero bytes, as zlib writes it in one stream:
    its long middle is periodic, which is what lets every outer level
    compress again (42.zip's trick). About 4 s for 1 GiB."""
    mib = 1 << 20
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = b"\0" * mib
    full, rest = divmod(n, mib)
    out, crc = [], 0
    for _ in range(full):
        out.append(c.compress(block))
        crc = zlib.crc32(block, crc)
    out.append(c.compress(b"\0" * rest))
    out.append(c.flush())
    return b"".join(out), zlib.crc32(b"\0" * rest, crc)


def zip_of_copies(name_fmt, data, crc, usize, count=16, compress=True):
    if compress:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        comp = c.compress(data) + c.flush()
        crc, usize = zlib.crc32(data), len(data)
    else:
        comp = data
    return zip_archive([(name_fmt % i, 8, crc, len(comp), usize, comp) for i in range(count)])


def zip42():
    size = 1 << 30
    comp, crc = deflate_zeros(size)
    z = zip_of_copies("0-%d.dat", comp, crc, size, compress=False)
    for level in range(1, 5):
        z = zip_of_copies("%d-%%d.zip" % level, z, 0, 0)
    return z


def zip_quine():
    """A ZIP that contains itself as far as a walker can tell: every
    entry's data is the archive's own bytes from offset 0 (overlapping
    entries pointing back at the start, the "better zip bomb" layout),
    so each entry opens as the same ZIP again, forever. Stored, with
    sizes fixed up after layout."""
    names = ["r%d.zip" % i for i in range(16)]
    # Layout: one local header at 0 whose data spans the whole file
    # (headers + central directory), then 16 central entries all
    # naming that local header.
    n = names[0].encode()
    lh_len = 30 + len(n)
    cd_len = sum(46 + len(x) for x in names)
    total = lh_len + cd_len + 22
    data_len = total - lh_len
    # The data of the entry is everything after its local header; a
    # reader that takes the entry's bytes gets a buffer that ends with
    # the same central directory and EOCD, naming offsets relative to
    # the file start: libarchive finds them by scanning from the end.
    lh = struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 0, 0, 0x21, 0,
                     data_len, data_len, len(n), 0) + n
    central = b"".join(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, 0, 0, 0x21,
                                   0, data_len, data_len, len(x.encode()), 0, 0, 0, 0, 0, 0)
                       + x.encode() for x in names)
    eocd = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, len(names), len(names),
                       len(central), lh_len, 0)
    return lh + central + eocd


def sevenzip_1tb(src):
    """The committed plain.7z (uncompressed header) with its folder's
    unpack size patched to 1 TB (2^40), CRCs fixed up."""
    d = bytearray(open(os.path.join(src, "tests/fixtures/attach/files/plain.7z"), "rb").read())
    off, size = struct.unpack("<QQ", d[12:28])
    hdr = bytes(d[32 + off:32 + off + size])
    i = hdr.index(b"\x0c\x3e")            # kCodersUnpackSize, 62
    big = b"\x0c\xff" + struct.pack("<Q", 1 << 40)
    hdr = hdr[:i] + big + hdr[i + 2:]
    hdr = hdr.replace(b"\x0a\x01\x1c\xb5\x76\x02", b"\x0a\x01\x1c\xb5\x76\x02", 1)
    start = struct.pack("<QQI", off, len(hdr), zlib.crc32(hdr))
    return bytes(d[:8]) + struct.pack("<I", zlib.crc32(start)) + start + \
        bytes(d[32:32 + off]) + hdr


def ole_cyclic_fat(src):
    """The committed plain.doc with a cycle in its FAT: the chain of the
    root entry (the container of the mini stream, where WordDocument
    and the table stream of a small .doc live) ends by pointing back at
    its first sector. (A cyclic directory chain instead makes libgsf
    drop the entries behind it with a warning: the streams vanish.)"""
    d = bytearray(open(os.path.join(src, "tests/fixtures/attach/files/plain.doc"), "rb").read())
    ssz = 1 << struct.unpack_from("<H", d, 0x1E)[0]
    fat_off = (struct.unpack_from("<I", d, 0x4C)[0] + 1) * ssz
    root = (struct.unpack_from("<I", d, 0x30)[0] + 1) * ssz
    first = sect = struct.unpack_from("<I", d, root + 0x74)[0]
    for _ in range(len(d) // ssz):
        nxt = struct.unpack_from("<I", d, fat_off + 4 * sect)[0]
        if nxt >= 0xFFFFFFFA:
            struct.pack_into("<I", d, fat_off + 4 * sect, first)
            return bytes(d)
        sect = nxt
    raise SystemExit("gen.py: the root entry's chain of plain.doc does not end")


def pdf_xref_loop():
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, o in enumerate(objs):
        offs.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    x1 = len(out)
    # two xref sections, each /Prev the other; offsets are fixed width
    # so that both can be written before they are known.
    x2_guess = x1 + 200
    def section(prev):
        s = b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offs)
        s += b"trailer\n<< /Size 4 /Root 1 0 R /Prev %010d >>\n" % prev
        return s
    sec1 = section(x2_guess)
    x2 = x1 + len(sec1)
    sec1 = section(x2)
    out += sec1
    out += section(x1)
    out += b"startxref\n%d\n%%%%EOF\n" % x2
    return bytes(out)


def pdf_with(objs, xref_stream=None):
    """A PDF of objs (bytes each, numbered from 1); with xref_stream
    (a function of the offsets giving the stream object's bytes after
    "N 0 obj"), its cross-reference table is that stream."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, o in enumerate(objs):
        offs.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    x = len(out)
    if xref_stream:
        out += b"%d 0 obj\n" % (len(objs) + 1) + xref_stream(offs) + b"\nendobj\n"
    else:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
        out += b"".join(b"%010d 00000 n \n" % o for o in offs)
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objs) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % x
    return bytes(out)


PAGES = [b"<< /Type /Catalog /Pages 2 0 R >>",
         b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
         b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"]


def zlib_of(head, zeros_mib):
    c = zlib.compressobj(9)
    mib = b"\0" * (1 << 20)
    return c.compress(head) + b"".join(c.compress(mib) for _ in range(zeros_mib)) + c.flush()


def pdf_xref_bomb(filters=b"/FlateDecode", hexed=False):
    """A 500 KB PDF whose cross-reference stream (what qpdf inflates in
    the milter's own memory when it opens the file, uninterruptible)
    inflates to 512 MiB: its real rows, then zeros (free entries)."""
    def xs(offs):
        rows = b"\x00\x00\x00\x00\x00\xff\xff" + b"".join(
            b"\x01" + o.to_bytes(4, "big") + b"\x00\x00" for o in offs)
        data = zlib_of(rows, 512)
        if hexed:
            data = data.hex().encode() + b">"
        return (b"<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter %s /Length %d >>\nstream\n"
                % (len(offs) + 2, filters, len(data)) + data + b"\nendstream")
    return pdf_with(PAGES, xs)


def pdf_objstm_bomb():
    """The page tree in an object stream (/Type /O#62jStm: a name
    escape, as qpdf reads it) of 512 MiB: qpdf inflates it when it
    resolves the objects."""
    body = b"2 0 3 40 << /Type /Pages /Kids [3 0 R] /Count 1 >> << /Type /Page /Parent 2 0 R >>"
    data = zlib_of(body + b" ", 512)
    objs = [PAGES[0],
            b"<< /Type /O#62jStm /N 2 /First 8 /Filter /FlateDecode /Length %d >>\nstream\n"
            % len(data) + data + b"\nendstream"]
    return pdf_with(objs)


def pdf_many_streams(n=16, units=64):
    """16 pages whose content streams inflate to 96 MiB each (a real
    operator repeated): read only by the PDF text worker, which its
    pdf_timeout stops."""
    c = zlib.compressobj(9)
    blk = b"0 0 m\n" * (1 << 18)
    comp = b"".join(c.compress(blk) for _ in range(units)) + c.flush()
    kids = " ".join("%d 0 R" % (3 + i) for i in range(n)).encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R >>"
             % (3 + n + i) for i in range(n)]
    objs += [b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(comp) + comp +
             b"\nendstream" for _ in range(n)]
    return pdf_with(objs)


def ole_huge_stream(src):
    """The committed plain.doc with every stream's size set to 4 GiB
    (its chain unchanged): libgsf refuses entries larger than the
    file, and the reads of what is left are bounded heads."""
    d = bytearray(open(os.path.join(src, "tests/fixtures/attach/files/plain.doc"), "rb").read())
    ssz = 1 << struct.unpack_from("<H", d, 0x1E)[0]
    off = (struct.unpack_from("<I", d, 0x30)[0] + 1) * ssz
    for i in range(ssz // 128):
        e = off + i * 128
        if d[e + 0x42] == 2:
            struct.pack_into("<I", d, e + 0x78, 0xFFFFFFF0)
    return bytes(d)


def main():
    outdir, src = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    cases = {
        "nested_1000": nested(1000),
        "parts_100000": many_parts(100000),
        "header_1mb": huge_header(),
        "nul_bytes": nul_bytes(),
        "broken_base64": broken_base64(),
        "broken_qp": broken_qp(),
        "unclosed_boundary": unclosed_boundary(),
        "lying_charsets": lying_charsets(),
        "rfc2231_out_of_order": rfc2231_out_of_order(),
        "zip_42": with_attachment("42.zip", "42.zip", zip42(), "application/zip"),
        "zip_quine": with_attachment("quine", "r.zip", zip_quine(), "application/zip"),
        "sevenzip_1tb": with_attachment("7z 1TB", "big.7z", sevenzip_1tb(src),
                                        "application/x-7z-compressed"),
        "ole_cyclic_fat": with_attachment("cyclic FAT", "loop.doc", ole_cyclic_fat(src),
                                          "application/msword"),
        "pdf_xref_loop": with_attachment("xref loop", "loop.pdf", pdf_xref_loop(),
                                         "application/pdf"),
        "pdf_xref_bomb": with_attachment("xref bomb", "xref.pdf", pdf_xref_bomb(),
                                         "application/pdf"),
        "pdf_xref_hex_chain": with_attachment("xref hex chain", "hex.pdf",
                                              pdf_xref_bomb(b"[/ASCIIHexDecode /FlateDecode]", True),
                                              "application/pdf"),
        "pdf_objstm_bomb": with_attachment("objstm bomb", "objstm.pdf", pdf_objstm_bomb(),
                                           "application/pdf"),
        "pdf_many_streams": with_attachment("many streams", "many.pdf", pdf_many_streams(),
                                            "application/pdf"),
        "ole_huge_stream": with_attachment("huge OLE stream", "huge.doc", ole_huge_stream(src),
                                           "application/msword"),
    }
    for name, data in cases.items():
        with open(os.path.join(outdir, name + ".eml"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
