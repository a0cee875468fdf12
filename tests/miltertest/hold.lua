-- hold.lua: a held message is quarantined and gets X-Sendguard-Hold.
-- A class-2 marking (機密性2) in the Subject of mail to a contractor
-- is held by default ([actions] classified = hold). The runner then
-- checks that the store has a pending hold with queue id MTHOLD0001
-- and the hold id printed here ("hold-id: ...").
dofile(srcdir .. "/tests/miltertest/common.lua")

local conn = open()
check(mt.test_action(conn, SMFIF_QUARANTINE), "negotiates quarantine")
check(mt.test_action(conn, SMFIF_ADDHDRS), "negotiates adding headers")
check(mt.test_action(conn, SMFIF_CHGHDRS), "negotiates changing headers")
check(not mt.test_action(conn, SMFIF_CHGBODY), "does not ask to change bodies")
check(not mt.test_action(conn, SMFIF_ADDRCPT) and not mt.test_action(conn, SMFIF_DELRCPT),
      "does not ask to change recipients (the envelope is never touched)")
-- Issue 21: no reply awaited for connect, MAIL, headers and body (their
-- errors are answered at RCPT or end of message); RCPT keeps its reply
-- so that a recipient can be refused alone; steps without a callback
-- are not sent at all.
check(mt.test_option(conn, SMFIP_NR_CONN) and mt.test_option(conn, SMFIP_NR_MAIL) and
      mt.test_option(conn, SMFIP_NR_HDR) and mt.test_option(conn, SMFIP_NR_BODY),
      "asks for no replies to connect, MAIL, headers and body")
check(not mt.test_option(conn, SMFIP_NR_RCPT), "keeps the reply to RCPT")
check(mt.test_option(conn, SMFIP_NOHELO) and mt.test_option(conn, SMFIP_NODATA) and
      mt.test_option(conn, SMFIP_NOUNKNOWN) and mt.test_option(conn, SMFIP_NOEOH),
      "asks not to be sent HELO, DATA, unknown commands and end of header")

envelope(conn, "MTHOLD0001", "tanaka@example.lg.jp", { "t.yamada@sakura-sys.example" })
headers(conn, std_headers("総務課 田中 <tanaka@example.lg.jp>",
	"山田 様 <t.yamada@sakura-sys.example>", "【機密性2】委託業務の仕様書について"))
body(conn, "株式会社さくらシステム 山田様\r\n\r\n仕様書の改訂版をお送りします。\r\n")
local r = eom(conn)
check(r == SMFIR_CONTINUE, "end of message answers continue (the MTA keeps the message), got " .. rname(r))
check(mt.eom_check(conn, MT_QUARANTINE), "asks the MTA to quarantine (Postfix: hold queue)")
check(mt.eom_check(conn, MT_HDRADD, "X-Sendguard-Hold") or mt.eom_check(conn, MT_HDRINSERT, "X-Sendguard-Hold"),
      "adds X-Sendguard-Hold")
local id = hold_header(conn)
check(is_hold_id(id), "X-Sendguard-Hold carries a hold id (" .. tostring(id) .. ")")
print("hold-id: " .. tostring(id))
check(r ~= SMFIR_REPLYCODE, "no SMTP reply is forced on a hold")
check(not mt.eom_check(conn, MT_HDRCHANGE, "To"), "To is left alone (one recipient)")
mt.disconnect(conn)
finish()
