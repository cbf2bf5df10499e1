-- wrk script: each request sells one lunch dish from today's menu to the next demo elder at a
-- random counter, as the counter page does. Every request has its own Idempotency-Key and
-- receipt number, so nothing is replayed.
-- BENCH_RATE (requests/s over all threads) paces the run on a fixed schedule, so the rate
-- asked for is the rate sent however fast the answers come; 0 sends as fast as answered.
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local now_ts = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, now_ts)
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end

local cards, terminals = {}, {}
local counter, threads, run_id = 0, 1, ""
-- Globals: setup() gives each thread its own thread_id with thread:set (which sets a
-- global, not a local of the same name), and done() reads each thread's next_card and
-- whether it came to the end of the card list (wrapped: from then on, second lunches).
thread_id, next_card, wrapped = 0, 0, 0
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local interval_ms, next_due = 0, nil

local function read_lines(path, into)
  for line in io.lines(path) do
    if #line > 0 then table.insert(into, line) end
  end
end

local function read_terminals(path, into)
  -- "<credential> <menu item>,<menu item>,..."
  for line in io.lines(path) do
    local credential, items = line:match("^(%S+)%s+(%S+)$")
    if credential then
      local dishes = {}
      for item in items:gmatch("%d+") do table.insert(dishes, item) end
      table.insert(into, {credential = credential, dishes = dishes})
    end
  end
end

local all_threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("thread_id", thread_id)
  table.insert(all_threads, thread)
end

function init(args)
  read_lines(os.getenv("BENCH_CARDS"), cards)
  read_terminals(os.getenv("BENCH_TERMINALS"), terminals)
  -- A fresh sequence every run: repeated keys would be (cheap) replays, not sales.
  run_id = string.format("%x%x", os.time(), math.floor(os.clock() * 1e6))
  math.randomseed(os.time() * 1000 + thread_id)
  threads = tonumber(os.getenv("BENCH_THREADS") or "1")
  if rate > 0 then interval_ms = 1000 * threads / rate end
  -- Each thread walks its own stride of the card list, from where the previous run
  -- stopped (BENCH_FIRST_CARD): every sale a different elder.
  local first = tonumber(os.getenv("BENCH_FIRST_CARD") or "0")
  next_card = first + thread_id - 1 - threads
end

function delay()
  if interval_ms == 0 then return 0 end
  -- This thread's next slot on its schedule; a late answer does not push the schedule back.
  local t = now_ms()
  next_due = (next_due or t) + interval_ms
  return math.max(0, math.floor(next_due - t))
end

request = function()
  counter = counter + 1
  if next_card + threads >= #cards then wrapped = 1 end
  next_card = (next_card + threads) % #cards
  local card = cards[next_card + 1]
  local terminal = terminals[math.random(#terminals)]
  local dish = terminal.dishes[math.random(#terminal.dishes)]
  local key = string.format("%s-%d-%d", run_id, thread_id, counter)
  local body = string.format(
    '{"card":"%s","session":"lunch","lines":[{"menu_item_id":%s,"quantity":1}],"receipt_no":"%s","accept_full_price":true}',
    card, dish, key)
  return wrk.format("POST", "/api/v1/checkout", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. terminal.credential,
    ["Idempotency-Key"] = key,
  }, body)
end

done = function(summary, latency, requests)
  local last_card, any_wrapped = 0, 0  -- the furthest card reached: the next run starts after it
  for _, thread in ipairs(all_threads) do
    last_card = math.max(last_card, thread:get("next_card") or 0)
    any_wrapped = math.max(any_wrapped, thread:get("wrapped") or 0)
  end
  io.write(string.format("RESULT requests=%d non2xx=%d seconds=%.2f rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f last_card=%d wrapped=%d\n",
    summary.requests, summary.errors.status, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    last_card, any_wrapped))
end
