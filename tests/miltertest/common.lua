-- tests/miltertest/common.lua - helpers shared by the miltertest scripts.
-- Loaded with dofile(srcdir .. "/tests/miltertest/common.lua"); the
-- runner (run.sh) passes -D sock=inet:PORT@127.0.0.1 -D srcdir=...
--
-- Every assertion prints "ok   - ..." or "FAIL - ..."; run.sh counts
-- them. A script ends with finish(), which raises an error when an
-- assertion failed, so miltertest exits non-zero too.
--
-- Keep headers short: Debian's miltertest crashes on a header value over
-- about 1,000 bytes (long headers are tested through Postfix instead).

failures = 0

-- miltertest swallows the message of a Lua error: print it first.
function die(msg)
	print("FAIL - " .. msg)
	error(msg)
end

function check(cond, desc)
	if cond then
		print("ok   - " .. desc)
	else
		print("FAIL - " .. desc)
		failures = failures + 1
	end
	return cond
end

function finish()
	if failures > 0 then
		error(failures .. " assertion(s) failed")
	end
end

-- A reply code as text, for messages.
local names = {}
for _, n in ipairs({ "SMFIR_CONTINUE", "SMFIR_ACCEPT", "SMFIR_REJECT",
		     "SMFIR_TEMPFAIL", "SMFIR_DISCARD", "SMFIR_REPLYCODE" }) do
	if _G[n] ~= nil then names[_G[n]] = n end
end
function rname(r)
	if r == nil then return "nil" end
	return names[r] or ("reply " .. tostring(r))
end

-- Open a connection; the milter was started by run.sh.
function open(client_ip)
	mt.set_timeout(60)
	local conn = mt.connect(sock, 20, 0.25)
	if conn == nil then die("cannot connect to the milter at " .. sock) end
	local e = mt.conninfo(conn, "client.sendguard.test", client_ip or "127.0.0.1")
	if e ~= nil then die("mt.conninfo: " .. e) end
	if mt.getreply(conn) ~= SMFIR_CONTINUE then
		die("connect: " .. rname(mt.getreply(conn)))
	end
	return conn
end

-- Start a message: macros i (queue id, as Postfix sends it with
-- milter_mail_macros) and {auth_authen} when given, MAIL FROM, RCPTs.
function envelope(conn, qid, from, rcpts, auth)
	if auth then
		mt.macro(conn, SMFIC_MAIL, "i", qid, "{auth_authen}", auth)
	else
		mt.macro(conn, SMFIC_MAIL, "i", qid)
	end
	local e = mt.mailfrom(conn, "<" .. from .. ">")
	if e ~= nil then die("mt.mailfrom: " .. e) end
	if mt.getreply(conn) ~= SMFIR_CONTINUE then
		die("MAIL FROM: " .. rname(mt.getreply(conn)))
	end
	for _, r in ipairs(rcpts) do
		e = mt.rcptto(conn, "<" .. r .. ">")
		if e ~= nil then die("mt.rcptto: " .. e) end
		if mt.getreply(conn) ~= SMFIR_CONTINUE then
			die("RCPT " .. r .. ": " .. rname(mt.getreply(conn)))
		end
	end
end

-- Headers as a list of {name, value}, then end of header.
function headers(conn, list)
	for _, h in ipairs(list) do
		local e = mt.header(conn, h[1], h[2])
		if e ~= nil then die("mt.header " .. h[1] .. ": " .. e) end
		if mt.getreply(conn) ~= SMFIR_CONTINUE then
			die("header " .. h[1] .. ": " .. rname(mt.getreply(conn)))
		end
	end
	-- A milter without an end-of-header callback negotiates NOEOH,
	-- and miltertest then refuses to send it.
	if not mt.test_option(conn, SMFIP_NOEOH) then
		local e = mt.eoh(conn)
		if e ~= nil then die("mt.eoh: " .. e) end
		if mt.getreply(conn) ~= SMFIR_CONTINUE then
			die("EOH: " .. rname(mt.getreply(conn)))
		end
	end
end

function body(conn, s)
	local e = mt.bodystring(conn, s)
	if e ~= nil then die("mt.bodystring: " .. e) end
	if mt.getreply(conn) ~= SMFIR_CONTINUE then
		die("body chunk: " .. rname(mt.getreply(conn)))
	end
end

function eom(conn)
	local e = mt.eom(conn)
	if e ~= nil then die("mt.eom: " .. e) end
	return mt.getreply(conn)
end

-- The usual headers of a plain Japanese mail (UTF-8, 8bit).
function std_headers(from, to, subject, extra)
	local l = {
		{ "From", from },
		{ "To", to },
		{ "Subject", subject },
		{ "Date", "Mon, 23 Nov 2026 10:00:00 +0900" },
		{ "Message-ID", "<" .. tostring(os.time()) .. "." .. tostring(math.random(1, 1e9)) .. "@example.lg.jp>" },
		{ "MIME-Version", "1.0" },
		{ "Content-Type", "text/plain; charset=UTF-8" },
		{ "Content-Transfer-Encoding", "8bit" },
	}
	for _, h in ipairs(extra or {}) do table.insert(l, h) end
	return l
end

-- The value of the first added X-Sendguard-Hold header, or nil.
function hold_header(conn)
	return mt.getheader(conn, "X-Sendguard-Hold", 0) or mt.getheader(conn, "X-Sendguard-Hold", 1)
end

-- A hold id: "h" + 26 base32 lower-case characters (store/st.h).
function is_hold_id(s)
	return s ~= nil and string.match(s, "^h[a-z2-7]+$") ~= nil and #s == 27
end
