-- wrk script for the "ordinary concurrency" load shape (bench/run-ingest-shape.sh): batches of 16
-- distinct (metric, period) reports for org.example.editor (examples/registries/desktop-editor.yaml, v3),
-- spread over the 4 past ISO weeks. MODE=noop sends GET /healthz instead, from the very same request
-- function (the body is picked and formatted either way), so that the load generator pays the same per
-- request on both sides of the ratio and only the collector's work differs.
local mode = os.getenv("MODE") or "ingest"
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "reports.lua")

-- One batch for the ISO week that contains `t` (seconds since the epoch, UTC); daily reports name that
-- week's Monday-to-Sunday day of `t`, so every period lies inside the batch's week.
local function body(t)
  local week, day = os.date("!%G-W%V", t), os.date("!%Y-%m-%d", t)
  local r = candor_reports(day)
  return string.format('{"schema":3,"period":"%s","reports":[%s]}', week, table.concat(r, ","))
end

local threads = {}
local bodies = {}
function setup(thread) table.insert(threads, thread) end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  -- Noon UTC on this week's Monday (os.date's wday: 1 is Sunday).
  local now = os.time()
  local today = os.date("!*t", now)
  local monday = now - ((today.wday + 5) % 7) * 86400 - (today.hour * 3600 + today.min * 60 + today.sec) + 12 * 3600
  -- 256 prebuilt bodies, 64 for each of the 4 past weeks (a random day inside each).
  for i = 1, 256 do
    local weeks_back = (i - 1) % 4 + 1
    bodies[i] = body(monday - weeks_back * 7 * 86400 + math.random(0, 6) * 86400)
  end
  wrk.headers["Content-Type"] = "application/json"
  status_ok, status_other = 0, 0
end

function request()
  local b = bodies[math.random(#bodies)]
  if mode == "noop" then return wrk.format("GET", "/healthz") end
  return wrk.format("POST", "/v1/apps/org.example.editor/reports", nil, b)
end

function response(status, headers, body)
  if status == 200 or status == 202 then status_ok = status_ok + 1 else status_other = status_other + 1 end
end

function done(summary, latency, requests)
  local ok, other = 0, 0
  for _, t in ipairs(threads) do ok = ok + t:get("status_ok"); other = other + t:get("status_other") end
  io.write(string.format("answers: %d ok (%s), %d other\n", ok, mode == "noop" and "200" or "202", other))
end
