-- abort.lua: an aborted message (SMTP RSET, or the client going away
-- after DATA) leaves nothing behind for the next message on the same
-- connection: recipients, headers and body of the first are forgotten.
dofile(srcdir .. "/tests/miltertest/common.lua")

local conn = open()
-- 1: external recipients and a class-2 marking, aborted mid-body
envelope(conn, "MTABORT0001", "tanaka@example.lg.jp",
	 { "t.yamada@sakura-sys.example", "suzuki@kaigi-support.example" })
headers(conn, std_headers("tanaka@example.lg.jp", "t.yamada@sakura-sys.example",
	"【機密性2】入札予定価格について"))
body(conn, "山田様\r\n\r\n予定価格は")
check(mt.abort(conn) == nil, "abort accepted")

-- 2: internal-only, clean. Had message 1's recipients or Subject
-- leaked, this would be outbound and held.
envelope(conn, "MTABORT0002", "tanaka@example.lg.jp", { "kacho@example.lg.jp" })
headers(conn, std_headers("tanaka@example.lg.jp", "kacho@example.lg.jp", "会議室の予約"))
body(conn, "課長\r\n\r\n301会議室を予約しました。\r\n")
local r = eom(conn)
check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "next message after abort accepted, got " .. rname(r))
check(not mt.eom_check(conn, MT_QUARANTINE), "next message after abort not held")
check(not mt.eom_check(conn, MT_HDRCHANGE), "next message after abort: no header changed")

-- 3: abort right after the envelope, then a message that must be held
envelope(conn, "MTABORT0003", "tanaka@example.lg.jp", { "t.yamada@sakura-sys.example" })
check(mt.abort(conn) == nil, "abort after the envelope accepted")
envelope(conn, "MTABORT0004", "tanaka@example.lg.jp", { "t.yamada@sakura-sys.example" })
headers(conn, std_headers("tanaka@example.lg.jp", "t.yamada@sakura-sys.example", "【部外秘】見積書"))
body(conn, "山田様\r\n\r\n見積書をお送りします。\r\n")
r = eom(conn)
check(r == SMFIR_CONTINUE, "held message after two aborts, got " .. rname(r))
check(mt.eom_check(conn, MT_QUARANTINE), "held message after two aborts is quarantined")
check(is_hold_id(hold_header(conn)), "and has its own hold id")
mt.disconnect(conn)

-- 4: a connection dropped in the middle of a message, then a new one
conn = open()
envelope(conn, "MTABORT0005", "tanaka@example.lg.jp", { "t.yamada@sakura-sys.example" })
headers(conn, std_headers("tanaka@example.lg.jp", "t.yamada@sakura-sys.example", "資料"))
body(conn, "途中で切断")
mt.disconnect(conn, false)
conn = open()
envelope(conn, "MTABORT0006", "tanaka@example.lg.jp", { "kacho@example.lg.jp" })
headers(conn, std_headers("tanaka@example.lg.jp", "kacho@example.lg.jp", "再接続"))
body(conn, "再接続後のメールです。\r\n")
r = eom(conn)
check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "the milter still serves after a dropped connection, got " .. rname(r))
mt.disconnect(conn)
finish()
