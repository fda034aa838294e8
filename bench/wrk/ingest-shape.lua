-- wrk script for the "ordinary concurrency" load shape (bench/run-ingest-shape.sh): batches of 16
-- distinct (metric, period) reports for org.example.editor (examples/registries/desktop-editor.yaml, v3),
-- spread over the 4 past ISO weeks. MODE=noop sends GET /healthz instead, from the very same request
-- function (the body is picked and formatted either way), so that the load generator pays the same per
-- request on both sides of the ratio and only the collector's work differs.
local mode = os.getenv("MODE") or "ingest"
local function pick(t) return t[math.random(#t)] end

-- One batch for the ISO week that contains `t` (seconds since the epoch, UTC); daily reports name that
-- week's Monday-to-Sunday day of `t`, so every period lies inside the batch's week.
local function body(t)
  local week, day = os.date("!%G-W%V", t), os.date("!%Y-%m-%d", t)
  local r = {
    string.format('{"metric":"system.os","value":"%s"}', pick({"linux", "windows", "macos", "other"})),
    string.format('{"metric":"system.desktop","value":"%s"}', pick({"gnome", "kde", "xfce", "windows", "macos"})),
    string.format('{"metric":"system.arch","value":"%s"}', pick({"x86_64", "aarch64"})),
    string.format('{"metric":"system.ram_gb","value":%d}', pick({2, 4, 8, 16, 32})),
    string.format('{"metric":"system.displays","value":%d}', pick({1, 2, 3})),
    string.format('{"metric":"install.age_days","value":%d}', pick({0, 1, 2, 3})),
    string.format('{"metric":"app.launches","value":%d}', pick({1, 2, 5, 10, 20})),
    string.format('{"metric":"files.opened","period":"%s","value":%d}', day, pick({1, 2, 5, 10})),
    string.format('{"metric":"files.type_opened","value":"%s"}', pick({"text", "markdown", "python", "rust", "json"})),
    string.format('{"metric":"feature.spellcheck","value":%s}', pick({"true", "false"})),
    string.format('{"metric":"feature.split_view","value":%s}', pick({"true", "false"})),
    string.format('{"metric":"feature.dark_theme","value":%s}', pick({"true", "false"})),
    string.format('{"metric":"startup.ms","period":"%s","value":{"100":%d,"250":%d}}', day, math.random(1, 5), math.random(1, 3)),
    string.format('{"metric":"search.ms","value":{"10":%d,"50":%d}}', math.random(1, 9), math.random(1, 4)),
    string.format('{"metric":"app.crashes","value":%d}', pick({0, 1, 2})),
    string.format('{"metric":"candor.active","period":"%s","value":true}', day),
  }
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
