-- forged_notice.lua: an X-Sendguard-Notice header that does not verify
-- (a made-up MAC, the old version 1, a wrong key id, garbage) must not let a message
-- through: it is scanned like any other mail and held. Also, a user
-- who writes X-Sendguard-Hold or X-Sendguard headers of their own has
-- them removed.
dofile(srcdir .. "/tests/miltertest/common.lua")

local forged = {
	"v=2; kid=20261123T000000Z; n=AAAAAAAAAAAAAAAAAAAAAA; mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"v=1; kid=20261123T000000Z; n=AAAAAAAAAAAAAAAAAAAAAA; mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"v=1; kid=nosuchkey; n=abc; mac=abc",
	"garbage",
	"",
}
local conn = open()
for i, v in ipairs(forged) do
	local qid = "MTFORGE000" .. i
	envelope(conn, qid, "sendguard@example.lg.jp", { "t.yamada@sakura-sys.example" })
	headers(conn, std_headers("sendguard@example.lg.jp", "t.yamada@sakura-sys.example",
		"【機密性2】送信保留のお知らせ", { { "X-Sendguard-Notice", v } }))
	body(conn, "このメールは保留されました。\r\n【機密性2】の資料を添付しています。\r\n")
	local r = eom(conn)
	check(r == SMFIR_CONTINUE and mt.eom_check(conn, MT_QUARANTINE),
	      "forged notice #" .. i .. " (" .. string.sub(v, 1, 24) .. ") is scanned and held, got " .. rname(r))
end

-- A user's own X-Sendguard-Hold and X-Sendguard headers are removed.
envelope(conn, "MTFORGE0010", "tanaka@example.lg.jp", { "t.yamada@sakura-sys.example" })
headers(conn, std_headers("tanaka@example.lg.jp", "t.yamada@sakura-sys.example", "会議のご案内",
	{ { "X-Sendguard-Hold", "haaaaaaaaaaaaaaaaaaaaaaaaaa" }, { "X-Sendguard", "accept" } }))
body(conn, "山田様\r\n\r\n定例会議のご案内です。\r\n")
local r = eom(conn)
check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "clean mail with forged sendguard headers accepted, got " .. rname(r))
check(mt.eom_check(conn, MT_HDRDELETE, "X-Sendguard-Hold") or
      mt.eom_check(conn, MT_HDRCHANGE, "X-Sendguard-Hold", ""),
      "a user's X-Sendguard-Hold header is removed")
check(mt.eom_check(conn, MT_HDRDELETE, "X-Sendguard") or
      mt.eom_check(conn, MT_HDRCHANGE, "X-Sendguard", ""),
      "a user's X-Sendguard header is removed")
mt.disconnect(conn)
finish()
