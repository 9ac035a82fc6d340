-- wrk script: POST one 28x28 PNG of a real MNIST digit to /invocations.
-- The body file is written by bench/http-load.sh (path in the BODY environment variable).
-- No response() callback: wrk counts non-2xx/3xx answers itself (errors.status), and a callback
-- makes it copy every response into Lua, load-generator work on the cores the server needs.
local f = assert(io.open(os.getenv("BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "image/png"
wrk.headers["Accept"] = "application/json"

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.1f mean_ms=%.3f p50_ms=%.3f p90_ms=%.3f"
      .. " p99_ms=%.3f p999_ms=%.3f max_ms=%.3f errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), latency.mean / 1000,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000, errors))
end
