-- wrk script: GET /api/v1/tracks/{id} over a small hot set of ids (all
-- cached after the warm-up), chosen at random.
local hot = tonumber(os.getenv("BENCH_HOT") or "1000")
local first = tonumber(os.getenv("BENCH_FIRST") or "1")
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/tracks/" .. (first + math.random(0, hot - 1)))
end
