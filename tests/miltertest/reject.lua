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
-- run.sh turns notices off: the text must not claim one (issue 13);
-- test_outbox.sh pins the internal sender's "has been queued".
local text = "Message refused by sendguard (outgoing mail policy): classified/class-3. No notice was sent."
check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", text), "the reply is 550 5.7.1 " .. text)
check(not mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.1",
      "sendguard could not check this message now, try again later"), "not the failure tempfail")
check(not mt.eom_check(conn, MT_QUARANTINE), "a rejected message is not also quarantined")
check(not mt.eom_check(conn, MT_HDRADD, "X-Sendguard-Hold"), "and gets no hold header")

-- The reply goes back to the sender in a bounce, maybe outside: category
-- and rule ids only, each once (issue 13). Here 機密性3A is in the
-- subject, the body and an attachment whose name carries a person's
-- name and a marking; a 機密性2 (hold) and an unencrypted file are found
-- too. Only "classified/class-3" may appear: no subject, no file name,
-- no hold-level finding.
envelope(conn, "MTREJ0003", "tanaka@example.lg.jp", { "t.yamada@sakura-sys.example" })
headers(conn, {
	{ "From", "tanaka@example.lg.jp" },
	{ "To", "t.yamada@sakura-sys.example" },
	{ "Subject", "=?UTF-8?B?44CQ5qmf5a+G5oCnM0HjgJHkvY/msJHlj7DluLM=?=" },
	{ "Date", "Mon, 23 Nov 2026 10:00:00 +0900" },
	{ "Message-ID", "<mtrej0003@example.lg.jp>" },
	{ "MIME-Version", "1.0" },
	{ "Content-Type", "multipart/mixed; boundary=\"b3\"" },
})
body(conn, "--b3\r\nContent-Type: text/plain; charset=UTF-8\r\n" ..
	"Content-Transfer-Encoding: 8bit\r\n\r\n" ..
	"山田様\r\n機密性3A の名簿と、機密性2 の資料です。\r\n" ..
	"--b3\r\nContent-Type: text/plain; charset=UTF-8\r\n" ..
	"Content-Disposition: attachment; filename*=UTF-8''%E6%A9%9F%E5%AF%86%E6%80%A73A_%E5%B1%B1%E7%94%B0%E5%A4%AA%E9%83%8E.txt\r\n" ..
	"Content-Transfer-Encoding: 8bit\r\n\r\n" ..
	"機密性3A 住民台帳 山田太郎\r\n--b3--\r\n")
r = eom(conn)
check(r == SMFIR_REPLYCODE or r == SMFIR_REJECT, "several findings: end of message rejects, got " .. rname(r))
check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", text),
      "the reply names classified/class-3 once, and nothing of the subject, file or body")

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
