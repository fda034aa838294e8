-- wrk script: GET /healthz, the no-op baseline. It counts answers with the same Lua callback as
-- ingest.lua, so that both runs cost the load generator (on the same 2 cores) the same per request.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) status_200, status_other = 0, 0 end
function request() return wrk.format("GET", "/healthz") end
function response(status, headers, body)
  if status == 200 then status_200 = status_200 + 1 else status_other = status_other + 1 end
end
function done(summary, latency, requests)
  local ok, other = 0, 0
  for _, t in ipairs(threads) do ok = ok + t:get("status_200"); other = other + t:get("status_other") end
  io.write(string.format("answers: %d x 200, %d other\n", ok, other))
end
