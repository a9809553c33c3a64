-- wrk script shared by the HTTP benchmarks: counts responses by status in
-- every thread, stops a thread after WRK_MAX_REQUESTS responses (the request
-- cap; -d is the time cap) and prints one line "WRK_JSON {...}" that
-- benchmarks/harness.py reads. An optional WRK_METHOD / WRK_BODY sets the request.

-- Load the shared counting functions from the folder of this script.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "counting.lua")

function init(args)
  start_counting()
  if os.getenv("WRK_METHOD") then
    wrk.method = os.getenv("WRK_METHOD")
    wrk.body = os.getenv("WRK_BODY")
  end
end
