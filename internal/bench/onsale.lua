-- The buyers of an on-sale, for wrk: `admit bench onsale` runs it with
-- --load wrk, and `admit bench onsale --print-lua` prints it for running wrk
-- by hand (docs/bench.md). Arguments, after wrk's own and "--":
--
--   event=/api/v1/public/events/ev_…   the event's path
--   types=tt_a:400,tt_b:300,…          ticket type ids, each with its capacity
--   mix=40,35,15,10                    weights of asking for 1, 2, 3, … tickets
--   holds=/tmp/…/sale                  granted holds go to <holds>-<thread>.txt
--   mode=sale|soldout                  soldout: 1-ticket holds over every type
--   seats=N                            say "admit-bench: all seats granted" once
--                                      N tickets were granted (0: never)
--
-- Each request holds 1 to 4 (by the mix) tickets of one ticket type, picked
-- at random among those not known to be sold out. wrk's response() does not
-- say which request it answers, so what the buyers know comes from the
-- answers: a 409 sold-out problem carries "available", per requested ticket
-- type what could be held now, and the script keeps per ticket type the
-- least it was told (an upper bound of what is left). A type with 0 left is
-- not asked again, and nobody asks for more than its bound. When every type
-- is at 0, or in mode soldout, it asks for one ticket of each type in turn
-- (a buyer refreshing the page), so a ticket given back is still found.
--
-- Every granted hold is written as lines "<hold id> <ticket type id>
-- <quantity>", one per item, for the bench's audit. done() prints one line
-- "admit-bench-result key=value …" with the counts of every thread.

local cfg = {}
local types = {}  -- ticket type ids, in order
local left = {}   -- ticket type id → at most this many left
local reqs = {}   -- reqs[type index][quantity]: the request
local mix, mix_total = {}, 0
local open = {}
local holds
local turn = 0
local announced = false
local threads = {}

-- The counts, globals so that done() can read them with thread:get.
sent, answered, granted, tickets, sold_out, shed, other = 0, 0, 0, 0, 0, 0, 0
other_example = ""

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_no", #threads)
end

function init(args)
   for i = 1, #args do
      local k, v = args[i]:match("^([%w_]+)=(.*)$")
      if k then cfg[k] = v end
   end
   for w in (cfg.mix or "40,35,15,10"):gmatch("%d+") do
      mix[#mix + 1] = tonumber(w)
      mix_total = mix_total + tonumber(w)
   end
   local headers = { ["Content-Type"] = "application/json" }
   for id, n in (cfg.types or ""):gmatch("([^,:]+):(%d+)") do
      local i = #types + 1
      types[i], left[id], reqs[i] = id, tonumber(n), {}
      for q = 1, #mix do
         reqs[i][q] = wrk.format("POST", cfg.event .. "/holds", headers,
            string.format('{"items":[{"ticket_type_id":"%s","quantity":%d}]}', id, q))
      end
   end
   cfg.seats = tonumber(cfg.seats or "0")
   holds = assert(io.open(cfg.holds .. "-" .. thread_no .. ".txt", "w"))
   holds:setvbuf("full", 65536)
   math.randomseed(thread_no * 7919)
end

local function quantity()
   local r = math.random(mix_total)
   for q = 1, #mix do
      if r <= mix[q] then return q end
      r = r - mix[q]
   end
   return 1
end

function request()
   sent = sent + 1
   local n = 0
   if cfg.mode ~= "soldout" then
      for i = 1, #types do
         if left[types[i]] > 0 then
            n = n + 1
            open[n] = i
         end
      end
   end
   if n == 0 then
      turn = turn % #types + 1
      return reqs[turn][1]
   end
   local i = open[math.random(n)]
   local q = quantity()
   if q > left[types[i]] then q = left[types[i]] end
   return reqs[i][q]
end

function response(status, headers, body)
   answered = answered + 1
   if status == 201 then
      local id = body:match('"id"%s*:%s*"([^"]+)"')
      local items = 0
      if id then
         for tt, q in body:gmatch('"ticket_type_id"%s*:%s*"([^"]+)"%s*,%s*"quantity"%s*:%s*(%d+)') do
            holds:write(id, " ", tt, " ", q, "\n")
            tickets = tickets + tonumber(q)
            items = items + 1
         end
      end
      if items > 0 then
         granted = granted + 1
      else
         other = other + 1
         other_example = "201 without a hold: " .. body:sub(1, 200)
      end
      if cfg.seats > 0 and tickets >= cfg.seats and not announced then
         announced = true
         holds:flush()
         io.stdout:write("admit-bench: all seats granted\n")
         io.stdout:flush()
      end
   elseif status == 409 and body:find('"code"%s*:%s*"sold%-out"') then
      sold_out = sold_out + 1
      for tt, n in body:gmatch('"ticket_type_id"%s*:%s*"([^"]+)"%s*,%s*"available"%s*:%s*(%d+)') do
         n = tonumber(n)
         if left[tt] and n < left[tt] then left[tt] = n end
      end
   elseif status == 429 or status == 503 then
      shed = shed + 1
   else
      other = other + 1
      other_example = status .. " " .. body:sub(1, 200)
   end
end

function done(summary, latency, requests)
   local t = { sent = 0, answered = 0, granted = 0, tickets = 0, sold_out = 0, shed = 0, other = 0 }
   local example = ""
   for _, thread in ipairs(threads) do
      for k, v in pairs(t) do t[k] = v + (thread:get(k) or 0) end
      local e = thread:get("other_example")
      if e and e ~= "" then example = e end
   end
   local e = summary.errors
   io.write(string.format("admit-bench-result sent=%d answered=%d granted=%d tickets=%d sold_out=%d shed=%d other=%d" ..
      " requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d status=%d" ..
      " p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
      t.sent, t.answered, t.granted, t.tickets, t.sold_out, t.shed, t.other,
      summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
   if example ~= "" then
      io.write("admit-bench-other ", (example:gsub("[\r\n]", " ")), "\n")
   end
end
