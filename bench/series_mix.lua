-- Distinct /api/series queries (metric x slice x granularity x day range), a different random
-- sequence per wrk thread: nearly every request misses the server's answer cache.
local metrics = {"volume", "failure_rate", "timeout_rate", "e2e_p50", "e2e_p95", "e2e_p99",
                 "asr_final_p95", "nlu_p95", "dialog_p95", "tts_first_audio_p95", "good_turn_rate"}
local slices = {"", "platform=iOS", "platform=watchOS", "platform=macOS", "locale=en-US",
                "locale=de-DE", "asr_model=asr-42", "network=wifi", "region=eu-west",
                "app_build=2026.10.2", "platform=iOS,asr_mode=server"}
local granularities = {"5m", "15m", "1h"}
local threads = 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function init(args) math.randomseed(id * 7919 + os.time()) end
function request()
  local day = math.random(2, 14)
  local from = string.format("2026-03-%02d", day - 1)
  local to = string.format("2026-03-%02d", day + 1)
  local path = "/api/series?metric=" .. metrics[math.random(#metrics)] ..
               "&slice=" .. slices[math.random(#slices)] ..
               "&granularity=" .. granularities[math.random(#granularities)] ..
               "&from=" .. from .. "&to=" .. to
  return wrk.format("GET", path)
end
