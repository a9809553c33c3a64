-- Mixed API load for benchmarks/bench_load.py: several organizers (WRK_USERS =
-- "token:event:track,..."), each request from the next user in turn:
-- 35% GET the event, 25% GET its sessions, 10% GET its tickets,
-- 10% GET the unread count, 12% POST a speaker, 8% PATCH a track.
-- Counting and the "WRK_JSON {...}" line come from counting.lua.

-- Load the shared counting functions from the folder of this script.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "counting.lua")

function init(args)
  start_counting()
  sent = 0
  users = {}
  for token, event, track in string.gmatch(os.getenv("WRK_USERS"), "(%w+):(%d+):(%d+)") do
    table.insert(users, {token = token, event = event, track = track})
  end
  math.randomseed(1000 + id)
end

function request()
  sent = sent + 1
  local user = users[(sent + id) % #users + 1]
  local headers = {["Authorization"] = "Token " .. user.token}
  local base = "/api/v1/events/" .. user.event .. "/"
  local pick = math.random(100)
  if pick <= 35 then
    return wrk.format("GET", base, headers)
  elseif pick <= 60 then
    return wrk.format("GET", base .. "sessions/", headers)
  elseif pick <= 70 then
    return wrk.format("GET", base .. "tickets/", headers)
  elseif pick <= 80 then
    return wrk.format("GET", "/api/v1/notifications/unread-count/", headers)
  end
  headers["Content-Type"] = "application/json"
  if pick <= 92 then
    local body = string.format('{"name": "Load speaker %d-%d", "bio": "Speaks under load."}', id, sent)
    return wrk.format("POST", base .. "speakers/", headers, body)
  end
  -- A new value each time: a PATCH that changes nothing stores nothing (no version to count afterwards).
  local body = string.format('{"location": "Room %d-%d"}', id, sent)
  return wrk.format("PATCH", base .. "tracks/" .. user.track .. "/", headers, body)
end
