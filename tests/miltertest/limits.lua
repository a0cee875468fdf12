-- limits.lua: [limits] max_message_size per sender group through the
-- milter protocol. run.sh sets the default to 512K and appends
-- [group.bigmail] (senders ookii-*@, max_message_size = 2M). The milter
-- keeps as much of a message as the largest limit allows, so that the
-- engine's own comparison stays true: a 700 KB mail is read whole for
-- the group (the 【機密性3】 at its end rejects it) and is a scan limit
-- (held) for everyone else. Before, the milter kept only the default's
-- 512K for every sender, and the group's mail was read cut short as if
-- whole: the marking at its end was never seen and the mail left.
dofile(srcdir .. "/tests/miltertest/common.lua")

local rcpt = { "t.yamada@sakura-sys.example" }
local line = string.rep("議事録の本文です。", 10) .. "\r\n"	-- ~272 bytes
local chunk = string.rep(line, 20)				-- ~5.4 KB

local function send(conn, qid, from)
	envelope(conn, qid, from, rcpt)
	headers(conn, std_headers(from, rcpt[1], "打合せ議事録"))
	for i = 1, 130 do	-- ~700 KB: past 512K, under 2M
		body(conn, chunk)
	end
	body(conn, "【機密性3】\r\n")
	return eom(conn)
end

local conn = open()
local r = send(conn, "MTLIM0001", "ookii-01@example.lg.jp")
check(r == SMFIR_REPLYCODE or r == SMFIR_REJECT,
      "a group allowed 2M: its 700 KB mail is read to the end (機密性3 rejects), got " .. rname(r))

r = send(conn, "MTLIM0002", "tanaka@example.lg.jp")
check(r == SMFIR_CONTINUE and mt.eom_check(conn, MT_QUARANTINE),
      "the default 512K: the same mail is held as a scan limit, got " .. rname(r))
mt.disconnect(conn)
finish()
