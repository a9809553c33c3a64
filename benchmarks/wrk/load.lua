-- Mixed API load for benchmarks/bench_load.py: several organizers (WRK_USERS =
-- "token:event:track,..."), each request from the next user in turn:
-- 35% GET the event, 25% GET its sessions, 10% GET its tickets,
-- 10% GET the unread count, 12% POST a speaker, 8% PATCH a track.
-- Counts responses by status per thread and prints "WRK_JSON {...}" like report.lua.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  responses = 0
  sent = 0
  limit = tonumber(os.getenv("WRK_MAX_REQUESTS") or "0")
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
  local body = string.format('{"location": "Room %d"}', sent % 50)
  return wrk.format("PATCH", base .. "tracks/" .. user.track .. "/", headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  responses = responses + 1
  if limit > 0 and responses >= limit then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(merged) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
      .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    table.concat(parts, ", ")))
end
