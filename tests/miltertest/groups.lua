-- groups.lua: sender groups (issue 19) through the milter protocol.
-- run.sh appends [group.contractors] (classified = reject, senders
-- itaku-*@) and [group.helpdesk] (classified = accept, senders
-- soudan-*@) to the test configuration. The same 【機密性2】 mail is
-- rejected for a contractor, accepted for the help desk and held for
-- everyone else; the group is chosen at MAIL FROM from the envelope
-- sender and the SMTP AUTH login, so a staff login that writes a
-- contractor's address gets the defaults. run.sh then runs
-- `sendguardctl check --from --auth` on the same message and expects
-- the same verdicts.
dofile(srcdir .. "/tests/miltertest/common.lua")

local subject = "【機密性2】委託業務の仕様書について"
local text = "株式会社さくらシステム 山田様\r\n\r\n仕様書の改訂版をお送りします。\r\n"

local function send(conn, qid, from, auth)
	envelope(conn, qid, from, { "t.yamada@sakura-sys.example" }, auth)
	headers(conn, std_headers(from, "t.yamada@sakura-sys.example", subject))
	body(conn, text)
	return eom(conn)
end

local conn = open()
local r = send(conn, "MTGRP0001", "itaku-01@example.lg.jp", nil)
check(r == SMFIR_REPLYCODE or r == SMFIR_REJECT,
      "contractors (classified = reject): rejected, got " .. rname(r))
check(not mt.eom_check(conn, MT_QUARANTINE), "contractors: not quarantined")

r = send(conn, "MTGRP0002", "soudan-01@example.lg.jp", nil)
check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT,
      "helpdesk (classified = accept): accepted, got " .. rname(r))
check(not mt.eom_check(conn, MT_QUARANTINE), "helpdesk: not quarantined")

r = send(conn, "MTGRP0003", "tanaka@example.lg.jp", "tanaka")
check(r == SMFIR_CONTINUE, "no group: continue, got " .. rname(r))
check(mt.eom_check(conn, MT_QUARANTINE), "no group: held (the default classified = hold)")

r = send(conn, "MTGRP0004", "itaku-01@example.lg.jp", "tanaka")
check(r == SMFIR_CONTINUE and mt.eom_check(conn, MT_QUARANTINE),
      "a staff login with a contractor's envelope sender: the defaults (held), got " .. rname(r))

r = send(conn, "MTGRP0005", "itaku-01@example.lg.jp", "itaku-01")
check(r == SMFIR_REPLYCODE or r == SMFIR_REJECT,
      "the contractor's own login: rejected, got " .. rname(r))
mt.disconnect(conn)
finish()
