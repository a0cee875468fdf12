-- rcpt_addr.lua: the address Postfix resolved a recipient to ({rcpt_addr},
-- sent at RCPT by default) decides too (issue 13, class 3). With the
-- internal domain in mydestination, Postfix rewrites
-- user%gmail.com@example.lg.jp to user@gmail.com and sends it out; the
-- milter must count what Postfix resolved, not only the RCPT argument.
dofile(srcdir .. "/tests/miltertest/common.lua")

local subject = "【機密性3A】住民情報システム改修に係る打合せ資料"

-- rcpt: { given, resolved }
local function send(conn, qid, rcpts)
	mt.macro(conn, SMFIC_MAIL, "i", qid)
	local e = mt.mailfrom(conn, "<tanaka@example.lg.jp>")
	if e ~= nil then die("mt.mailfrom: " .. e) end
	for _, r in ipairs(rcpts) do
		mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", r[2], "{rcpt_mailer}", "smtp")
		e = mt.rcptto(conn, "<" .. r[1] .. ">")
		if e ~= nil then die("mt.rcptto: " .. e) end
		if mt.getreply(conn) ~= SMFIR_CONTINUE then
			die("RCPT " .. r[1] .. ": " .. rname(mt.getreply(conn)))
		end
	end
	headers(conn, std_headers("tanaka@example.lg.jp", rcpts[1][1], subject))
	body(conn, "庁内限りでお願いします。\r\n")
	return eom(conn)
end

local conn = open()
-- A plain internal RCPT that Postfix resolved to an external address:
-- only {rcpt_addr} shows it, so this pins that the milter reads it.
local r = send(conn, "MTRCPT0001", { { "kobayashi@example.lg.jp", "kobayashi@gmail.com" } })
check(r == SMFIR_REPLYCODE or r == SMFIR_REJECT,
      "an RCPT resolved to gmail.com is external (class 3 rejected), got " .. rname(r))

-- What Postfix really sends for user%gmail.com@ours in mydestination.
r = send(conn, "MTRCPT0002", { { "user%gmail.com@example.lg.jp", "user@gmail.com" } })
check(r == SMFIR_REPLYCODE or r == SMFIR_REJECT,
      "user%gmail.com@ours resolved to user@gmail.com is rejected, got " .. rname(r))

-- relay_domains: Postfix leaves it as is; the rule on the given form decides.
r = send(conn, "MTRCPT0003", { { "\"user@gmail.com\"@example.lg.jp",
				 "\"user@gmail.com\"@example.lg.jp" } })
check(r == SMFIR_REPLYCODE or r == SMFIR_REJECT,
      "\"user@gmail.com\"@ours left as is is rejected, got " .. rname(r))

-- Both forms internal: accepted.
r = send(conn, "MTRCPT0004", { { "kobayashi+memo@example.lg.jp", "kobayashi+memo@example.lg.jp" },
			       { "\"john doe\"@example.lg.jp", "\"john doe\"@example.lg.jp" } })
check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT,
      "internal in both forms is accepted, got " .. rname(r))
mt.disconnect(conn)
finish()
