-- wrk script: GET with the bearer token from the environment.
local token = os.getenv("ENCORE_BENCH_TOKEN")
wrk.headers["Authorization"] = "Bearer " .. token
