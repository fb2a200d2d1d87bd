-- SPDX-License-Identifier: Apache-2.0
-- count.lua: wrk counts a response as served only when it is a 200 page
-- with a visit number ("Visits:</b> 123"); a "counter disabled" page, any
-- other status or body is an error. Prints "COUNTED n ERRORS n" at the end
-- (bench.py and limits.sh read it). Usage: wrk -s count.lua ...
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counted = 0
  errors = 0
end

function response(status, headers, body)
  if status == 200 and body:find("Visits:</b> %d") then
    counted = counted + 1
  else
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local c, e = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("counted")
    e = e + t:get("errors")
  end
  io.write(string.format("COUNTED %d ERRORS %d\n", c, e))
end
