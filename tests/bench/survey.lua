-- wrk script for the survey collector's signed link (tests/bench/survey.sh):
--   BENCH_SURVEY_TOKENS=tokens.txt BENCH_SURVEY_THREADS=2 \
--     wrk -s tests/bench/survey.lua -t2 -c16 -d10s --latency http://127.0.0.1:PORT
--
-- Every request answers a different invitation:
--   POST /v1/surveys/<token>   Content-Type: application/json   {"csat":N}
-- with the tokens taken in turn from a file of "<token> <invitation uuid>"
-- lines (tests/tools/survey_tokens prints them), so each request should
-- record a new answer (201); a token used twice would be a 409. Thread t of
-- T takes lines t+1, t+1+T, t+1+2T, ... so no two threads share a token;
-- wrk does not tell a thread how many there are, hence
-- BENCH_SURVEY_THREADS (must equal -t). A thread that runs out starts over
-- and counts the repeats ("reused": the file was too short for the run).
-- The scores cycle through 5 5 4 5 3 5 4 2 5 1 (20 % low scores, which
-- also emit survey.low_score).
--
-- Environment:
--   BENCH_SURVEY_TOKENS   the token file (required)
--   BENCH_SURVEY_THREADS  wrk's -t (required)
--   BENCH_SURVEY_PATH     path prefix before the token (default /v1/surveys/;
--                         the bare-HTTP baseline uses /v1/channels/)
--   BENCH_SURVEY_SUMMARY  file that done() writes one key=value line to
--                         (default: the line goes to stdout)
local token_file = os.getenv("BENCH_SURVEY_TOKENS")
local nthreads = tonumber(os.getenv("BENCH_SURVEY_THREADS") or "")
local prefix = os.getenv("BENCH_SURVEY_PATH") or "/v1/surveys/"
local summary_file = os.getenv("BENCH_SURVEY_SUMMARY")

-- setup() runs in the main thread once per wrk thread: number them.
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local scores = { 5, 5, 4, 5, 3, 5, 4, 2, 5, 1 }
local bodies = {}
for i, s in ipairs(scores) do bodies[i] = string.format('{"csat":%d}', s) end
local headers = { ["Content-Type"] = "application/json" }

local tokens, ntok, next_tok
-- Per-thread counters (globals, so done() can read them with thread:get).
sent, reused = 0, 0
s200, s201, s409, s4xx, s5xx, sother = 0, 0, 0, 0, 0, 0

function init(args)
  if not token_file or token_file == "" then error("survey.lua: BENCH_SURVEY_TOKENS is not set") end
  if not nthreads or nthreads < 1 then error("survey.lua: BENCH_SURVEY_THREADS must be wrk's -t") end
  if tid >= nthreads then error("survey.lua: more wrk threads than BENCH_SURVEY_THREADS") end
  tokens, ntok, next_tok = {}, 0, 1
  local i = 0
  for line in io.lines(token_file) do
    if i % nthreads == tid then
      local tok = line:match("^(%S+)")
      if tok then
        ntok = ntok + 1
        tokens[ntok] = tok
      end
    end
    i = i + 1
  end
  if ntok == 0 then error("survey.lua: no tokens for thread " .. tid .. " in " .. token_file) end
end

function request()
  if next_tok > ntok then
    next_tok = 1
  end
  if sent >= ntok then reused = reused + 1 end
  local tok = tokens[next_tok]
  next_tok = next_tok + 1
  sent = sent + 1
  return wrk.format("POST", prefix .. tok, headers, bodies[sent % #bodies + 1])
end

function response(status, hdrs, body)
  if status == 201 then s201 = s201 + 1
  elseif status == 200 then s200 = s200 + 1
  elseif status == 409 then s409 = s409 + 1
  elseif status >= 500 then s5xx = s5xx + 1
  elseif status >= 400 then s4xx = s4xx + 1
  else sother = sother + 1 end
end

-- One machine-readable line (latency in microseconds; requests counts the
-- answers wrk read, sent the requests written, so sent - requests were in
-- flight when wrk stopped; non2xx is wrk's count of statuses outside
-- 200-399, errors its socket-level failures).
function done(summary, latency, requests)
  local t = { sent = 0, reused = 0, s200 = 0, s201 = 0, s409 = 0, s4xx = 0, s5xx = 0, sother = 0 }
  for _, th in ipairs(threads) do
    for k in pairs(t) do t[k] = t[k] + (th:get(k) or 0) end
  end
  local e = summary.errors
  local line = string.format(
    "requests=%d duration_us=%d rps=%.1f non2xx=%d errors=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.0f " ..
    "sent=%d s200=%d s201=%d s409=%d s4xx=%d s5xx=%d sother=%d reused=%d",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6), e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean,
    t.sent, t.s200, t.s201, t.s409, t.s4xx, t.s5xx, t.sother, t.reused)
  if summary_file and summary_file ~= "" then
    local f = assert(io.open(summary_file, "w"))
    f:write(line, "\n")
    f:close()
  else
    io.write(line, "\n")
  end
end
