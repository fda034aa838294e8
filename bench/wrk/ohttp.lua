-- wrk script: POST pre-built Oblivious HTTP requests (message/ohttp-req) from the file in $OHTTP_REQUESTS,
-- one hex line each, every one a fresh HPKE encapsulation made by `Candor.Benchmarks ohttp-requests`.
-- The same path serves the relay ("/") and the gateway ("/.well-known/ohttp-gateway") via $OHTTP_PATH.
-- Each thread walks the file in order; when a run needs more requests than the file holds it starts
-- over (replays are still decapsulated and dispatched in full, and their idempotency key answers 202).
-- With OHTTP_ONCE=1 a thread stops sending once it has as many answers as the file has lines (the few
-- already in flight then, at most one per connection, are the only replays): for CPU time per request.
-- wrk still waits out its -d seconds, so requests/s is meaningless in that mode.
-- Counts answers by status: 200 is an encapsulated answer (the inner status is sealed inside).
local path = os.getenv("OHTTP_PATH") or "/"
local once = os.getenv("OHTTP_ONCE") == "1"
local bodies = {}
local threads = {}
local next_index = 1

local function unhex(s)
  return (s:gsub("..", function(h) return string.char(tonumber(h, 16)) end))
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("OHTTP_REQUESTS")) do
    bodies[#bodies + 1] = unhex(line)
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "message/ohttp-req"
  status_200, status_other = 0, 0
end

function request()
  local body = bodies[next_index]
  next_index = next_index % #bodies + 1
  return wrk.format(nil, path, nil, body)
end

function response(status, headers, body)
  if status == 200 then status_200 = status_200 + 1 else status_other = status_other + 1 end
  if once and status_200 + status_other >= #bodies then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local ok, other = 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("status_200")
    other = other + t:get("status_other")
  end
  io.write(string.format("answers: %d x 200 (message/ohttp-res), %d other\n", ok, other))
end
