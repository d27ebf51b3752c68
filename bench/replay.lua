-- wrk script: replays prepared requests instead of one fixed request, and counts the answers by status.
-- WRK_REQUESTS names a file with one request per line, fields separated by tabs:
--   METHOD  PATH  Name: value  ...  BODY   (BODY "-": none)
-- WRK_THREADS is wrk's -t: thread k of n takes the lines k, k+n, k+2n, ... so no two threads send one line.
-- At the end it prints "status <code> <count>" per status and "wrapped <n>" (times a thread ran out of lines
-- and started again from its first: then later requests repeat earlier ones).
-- WRK_RATE (optional): open loop at that many requests per second in all (wrk alone is closed loop). Each
-- thread hands out send times on a fixed schedule through wrk's delay(); with far more connections than
-- are ever busy at once, every request leaves at its time, whatever the answers' latency. A request that
-- found every connection busy leaves late: "late <n> <max ms>" says how many and by how much at worst.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } replay_timespec;
int clock_gettime(int clock, replay_timespec *now);
]])
local CLOCK_MONOTONIC = 1
local clock = ffi.new("replay_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

function init(args)
  local step = tonumber(os.getenv("WRK_THREADS"))
  prepared, statuses, wrapped, position = {}, {}, 0, 1
  late, worst = 0, 0
  local rate = tonumber(os.getenv("WRK_RATE") or "")
  if rate then
    interval = step * 1000 / rate  -- ms between this thread's sends
    due = now_ms() + (index - 1) * interval / step  -- threads interleave their schedules
  end
  local line_number = 0
  for line in io.lines(os.getenv("WRK_REQUESTS")) do
    if line_number % step == index - 1 then
      local fields = {}
      for field in string.gmatch(line, "[^\t]+") do
        table.insert(fields, field)
      end
      local headers = {}
      for i = 3, #fields - 1 do
        local name, value = string.match(fields[i], "^([^:]+): (.*)$")
        headers[name] = value
      end
      local body = fields[#fields]
      if body == "-" then
        body = nil
      end
      table.insert(prepared, wrk.format(fields[1], fields[2], headers, body))
    end
    line_number = line_number + 1
  end
end

if os.getenv("WRK_RATE") then
  function delay()
    local wait = due - now_ms()
    due = due + interval
    if wait < -1 then
      late, worst = late + 1, math.max(worst, -wait)
    end
    return math.max(0, wait)
  end
end

function request()
  local next_request = prepared[position]
  position = position + 1
  if position > #prepared then
    position, wrapped = 1, wrapped + 1
  end
  return next_request
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total, wraps, lates, worst_ms = {}, 0, 0, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
    wraps = wraps + thread:get("wrapped")
    lates, worst_ms = lates + thread:get("late"), math.max(worst_ms, thread:get("worst"))
  end
  for status, count in pairs(total) do
    io.write(string.format("status %d %d\n", status, count))
  end
  io.write(string.format("wrapped %d\n", wraps))
  io.write(string.format("late %d %.1f\n", lates, worst_ms))
end
