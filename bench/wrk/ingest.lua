-- wrk script: POST batches of 16 reports for org.example.editor (examples/registries/desktop-editor.yaml, v3).
-- Bodies are prebuilt (256 of them, random allowed values) so that wrk's Lua costs little per request.
-- Counts answers by status and prints them at the end, so a run proves what was acknowledged.
local week = os.date("!%G-W%V")
local day = os.date("!%Y-%m-%d")

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "reports.lua")

local function body()
  local r = candor_reports(day)
  if os.getenv("COMMITMENTS") == "1" then
    -- A placeholder per report, replaced by a fresh commitment in every request: the collector refuses
    -- a commitment it already knows, so none may repeat.
    for i = 1, #r do r[i] = r[i]:sub(1, -2) .. ',"commitment":"<C>"}' end
  end
  return string.format('{"schema":3,"period":"%s","reports":[%s]}', week, table.concat(r, ","))
end

-- Commitments: 43 characters of unpadded base64url, canonical (the last one encodes 2 bits: from "AEIM..."),
-- unique per request: a random per-thread prefix, then a counter.
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local prefix = nil
local counter = 0
local function commitment()
  counter = counter + 1
  local n, digits = counter, {}
  for i = 1, 10 do
    local d = n % 64
    digits[i] = alphabet:sub(d + 1, d + 1)
    n = (n - d) / 64
  end
  return prefix .. table.concat(digits) .. "A"
end

local bodies = {}
local threads = {}
local counts = {}
-- With TOKENS=<file> (one Authorization header value a line, from `Candor.Benchmarks mint-tokens`),
-- each request carries its own Privacy Pass token; run one wrk thread so no token is sent twice.
local tokens = {}
local next_token = 1

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  for i = 1, 256 do bodies[i] = body() end
  local p = {}
  for i = 1, 32 do local d = math.random(64); p[i] = alphabet:sub(d, d) end
  prefix = table.concat(p)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  status_202, status_other = 0, 0
  local file = os.getenv("TOKENS")
  if file and file ~= "" then
    for line in io.lines(file) do tokens[#tokens + 1] = line end
  end
end

function request()
  if #tokens > 0 then
    wrk.headers["Authorization"] = tokens[next_token]
    next_token = next_token + 1
  end
  local b = bodies[math.random(#bodies)]
  if os.getenv("COMMITMENTS") == "1" then b = b:gsub("<C>", commitment) end
  return wrk.format(nil, "/v1/apps/org.example.editor/reports", nil, b)
end

function response(status, headers, body)
  if status == 202 then status_202 = status_202 + 1 else status_other = status_other + 1 end
end

function done(summary, latency, requests)
  local ok, other = 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("status_202")
    other = other + t:get("status_other")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("answers: %d x 202, %d other\n", ok, other))
  io.write(string.format("reports acknowledged: %d (%.0f reports/s)\n", ok * 16, ok * 16 / seconds))
end
