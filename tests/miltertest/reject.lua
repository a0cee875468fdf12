-- reject.lua: a class-3 marking (機密性3A) to an external address is
-- refused at end of message with 550 5.7.1 and an ASCII text.
dofile(srcdir .. "/tests/miltertest/common.lua")

local conn = open()
envelope(conn, "MTREJ0001", "tanaka@example.lg.jp", { "t.yamada@sakura-sys.example" })
headers(conn, std_headers("tanaka@example.lg.jp", "t.yamada@sakura-sys.example",
	"【機密性3A】住民情報システム改修に係る打合せ資料"))
body(conn, "山田様\r\n\r\n打合せ資料を送付いたします。\r\n")
local r = eom(conn)
check(r == SMFIR_REPLYCODE or r == SMFIR_REJECT, "end of message rejects, got " .. rname(r))
-- miltertest compares the whole reply (code, enhanced code and text).
local text = "Message refused by sendguard (outgoing mail policy): classified/class-3. The sender was sent a notice."
check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", text), "the reply is 550 5.7.1 " .. text)
check(not mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.1",
      "sendguard could not check this message now, try again later"), "not the failure tempfail")
check(not mt.eom_check(conn, MT_QUARANTINE), "a rejected message is not also quarantined")
check(not mt.eom_check(conn, MT_HDRADD, "X-Sendguard-Hold"), "and gets no hold header")

-- The same marking to an internal address only: not outbound, accepted.
envelope(conn, "MTREJ0002", "tanaka@example.lg.jp", { "kobayashi@hoken.example.lg.jp" })
headers(conn, std_headers("tanaka@example.lg.jp", "kobayashi@hoken.example.lg.jp",
	"【機密性3A】住民情報システム改修に係る打合せ資料"))
body(conn, "小林さん\r\n\r\n庁内限りでお願いします。\r\n")
r = eom(conn)
check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "class 3 inside the organisation is accepted, got " .. rname(r))
check(r ~= SMFIR_REPLYCODE, "no reply forced for internal mail")
mt.disconnect(conn)
finish()
