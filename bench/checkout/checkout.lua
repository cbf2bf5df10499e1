-- wrk script: each request sells one lunch to a random demo elder at a random counter.
-- Every request has its own Idempotency-Key and receipt number, so nothing is replayed.
local cards, terminals = {}, {}
local counter, thread_id, run_id = 0, 0, ""
local pace_ms = tonumber(os.getenv("BENCH_PACE_MS") or "0")

local function read_lines(path, into)
  for line in io.lines(path) do
    if #line > 0 then table.insert(into, line) end
  end
end

function setup(thread)
  thread_id = thread_id + 1
  thread:set("thread_id", thread_id)
end

function init(args)
  read_lines(os.getenv("BENCH_CARDS"), cards)
  read_lines(os.getenv("BENCH_TERMINALS"), terminals)
  -- A fresh sequence every run: repeated keys would be (cheap) replays, not sales.
  run_id = string.format("%x%x", os.time(), math.floor(os.clock() * 1e6))
  math.randomseed(os.time() * 1000 + thread_id)
end

function delay()
  return pace_ms
end

request = function()
  counter = counter + 1
  local card = cards[math.random(#cards)]
  local terminal = terminals[math.random(#terminals)]
  local key = string.format("%s-%d-%d", run_id, thread_id, counter)
  local body = string.format(
    '{"card":"%s","session":"lunch","lines":[{"amount_fen":1200}],"receipt_no":"%s","accept_full_price":true}',
    card, key)
  return wrk.format("POST", "/api/v1/checkout", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. terminal,
    ["Idempotency-Key"] = key,
  }, body)
end

local codes = {}
response = function(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end

done = function(summary, latency, requests)
  local ok = summary.requests - summary.errors.status
  io.write(string.format("RESULT requests=%d non2xx=%d seconds=%.2f rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
