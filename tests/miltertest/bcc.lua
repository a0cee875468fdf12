-- bcc.lua: [actions] exposed-recipients = bcc rewrites To/Cc with
-- smfi_chgheader: external addresses go, internal ones stay, a To
-- left empty becomes "undisclosed-recipients:;". The envelope is not
-- touched (every recipient still gets the mail). Three citizens of
-- three consumer domains in To, two more and a colleague in Cc.
dofile(srcdir .. "/tests/miltertest/common.lua")

local conn = open()
local rcpts = { "sakura.yamamoto1988@gmail.com", "kenta_nakamura@yahoo.co.jp",
		"misaki-ogawa.0612@docomo.ne.jp", "yumi.kimura@icloud.com",
		"d.inoue.run@ezweb.ne.jp", "kacho@example.lg.jp" }
envelope(conn, "MTBCC0001", "sato-h@example.lg.jp", rcpts)
headers(conn, std_headers("保健福祉課 佐藤 <sato-h@example.lg.jp>",
	"sakura.yamamoto1988@gmail.com, kenta_nakamura@yahoo.co.jp, misaki-ogawa.0612@docomo.ne.jp",
	"健康づくり講座 説明会のご案内",
	{ { "Cc", "yumi.kimura@icloud.com, 課長 <kacho@example.lg.jp>, d.inoue.run@ezweb.ne.jp" } }))
body(conn, "応募者各位\r\n\r\n説明会を12月5日(金)午後2時から開催します。\r\n")
local r = eom(conn)
check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "accepted after the rewrite, got " .. rname(r))
check(mt.eom_check(conn, MT_HDRCHANGE, "To", "undisclosed-recipients:;"),
      "To (all external) becomes undisclosed-recipients:;")
check(mt.eom_check(conn, MT_HDRCHANGE, "Cc", "kacho@example.lg.jp"),
      "Cc keeps only the internal address")
check(not mt.eom_check(conn, MT_QUARANTINE), "not held")
check(not mt.eom_check(conn, MT_RCPTDELETE, "<kenta_nakamura@yahoo.co.jp>")
      and not mt.eom_check(conn, MT_RCPTADD, "<kenta_nakamura@yahoo.co.jp>"),
      "the envelope is left alone")
check(r ~= SMFIR_REPLYCODE, "no SMTP reply forced")

-- Internal-only To/Cc are not rewritten even on the same connection.
envelope(conn, "MTBCC0002", "sato-h@example.lg.jp", { "kacho@example.lg.jp" })
headers(conn, std_headers("sato-h@example.lg.jp", "kacho@example.lg.jp, kakaricho@example.lg.jp",
	"説明会の出欠"))
body(conn, "課長\r\n\r\n出欠表をまとめました。\r\n")
r = eom(conn)
check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "internal mail accepted, got " .. rname(r))
check(not mt.eom_check(conn, MT_HDRCHANGE), "internal mail: no header changed")
mt.disconnect(conn)
finish()
