-- _run.lua - what run.sh hands to miltertest: runs one script (-D
-- script=NAME) under pcall, because miltertest itself exits 1 without
-- printing the message of a Lua error (a protocol step refused, a typo).
local ok, e = pcall(dofile, srcdir .. "/tests/miltertest/" .. script .. ".lua")
if not ok then
	if not string.find(tostring(e), "assertion%(s%) failed") then
		print("FAIL - script error: " .. tostring(e))
	end
	os.exit(1)
end
