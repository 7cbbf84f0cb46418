-- wrk script: GET /api/v1/tracks/{id} with every id asked once (each thread
-- walks its own stride from BENCH_COLD_FIRST), so every read misses the
-- cache: MariaDB read, JSON build, memcached set.
local first = tonumber(os.getenv("BENCH_COLD_FIRST") or "1")
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local n = 0
request = function()
  local id = first + (tid or 0) + 2 * n
  n = n + 1
  return wrk.format("GET", "/api/v1/tracks/" .. id)
end
