-- chunks.lua: a body in many chunks. The marking is split across
-- chunk boundaries (even inside a UTF-8 character), and the second
-- message is larger than [milter] memory_limit (the runner sets 64K)
-- so it goes to the spool file; both must be read whole and held.
dofile(srcdir .. "/tests/miltertest/common.lua")

local conn = open()
envelope(conn, "MTCHUNK0001", "tanaka@example.lg.jp", { "t.yamada@sakura-sys.example" })
headers(conn, std_headers("tanaka@example.lg.jp", "t.yamada@sakura-sys.example", "打合せ資料の送付"))
local text = "山田様\r\n\r\n本資料は取扱注意です。社外への転送はご遠慮ください。\r\n"
-- one byte per chunk: every boundary, inside every character
for i = 1, #text do
	body(conn, string.sub(text, i, i))
end
local r = eom(conn)
check(r == SMFIR_CONTINUE, "byte-by-byte body: end of message, got " .. rname(r))
check(mt.eom_check(conn, MT_QUARANTINE), "byte-by-byte body: 取扱注意 found across chunks, held")

envelope(conn, "MTCHUNK0002", "tanaka@example.lg.jp", { "t.yamada@sakura-sys.example" })
headers(conn, std_headers("tanaka@example.lg.jp", "t.yamada@sakura-sys.example", "議事録の送付"))
local line = "議事録 第12回 定例会議 出席者 田中 山田 佐藤 議題 文書管理システム改修の進捗について\r\n"
local chunk = string.rep(line, 40)	-- ~5 KB
local sent = 0
for i = 1, 60 do			-- ~300 KB, past the 64K memory limit
	body(conn, chunk)
	sent = sent + #chunk
end
body(conn, "\r\n以上、関係者限りでお願いします。\r\n")
r = eom(conn)
check(r == SMFIR_CONTINUE, "spooled body (" .. sent .. " bytes in 61 chunks): end of message, got " .. rname(r))
check(mt.eom_check(conn, MT_QUARANTINE), "spooled body: marking in the last chunk found, held")

envelope(conn, "MTCHUNK0003", "tanaka@example.lg.jp", { "t.yamada@sakura-sys.example" })
headers(conn, std_headers("tanaka@example.lg.jp", "t.yamada@sakura-sys.example", "議事録の送付(再送)"))
for i = 1, 60 do body(conn, chunk) end
r = eom(conn)
check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "spooled clean body accepted, got " .. rname(r))
check(not mt.eom_check(conn, MT_QUARANTINE), "spooled clean body: not held")
mt.disconnect(conn)
finish()
