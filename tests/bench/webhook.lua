-- wrk script for the gateway's generic webhook (tests/bench/run.sh):
--   wrk -s tests/bench/webhook.lua -t2 -c64 -d15s --latency http://127.0.0.1:PORT
--
-- Every request is a new, validly signed customer message:
--   POST /v1/channels/<account>/messages
--   X-Peakdesk-Timestamp: <unix seconds, now>
--   X-Peakdesk-Signature: sha256=<HMAC-SHA256(secret, timestamp "." body)>
-- with messageId "<run>-w<thread>-<counter>", so no request repeats another
-- (a repeat would be a duplicate: acknowledged but not stored).
--
-- wrk's Lua has no HMAC, so the script signs through LuaJIT's FFI with
-- OpenSSL's HMAC() from libcrypto, which wrk itself already links (Debian's
-- wrk 4.1 is built on LuaJIT and OpenSSL). That keeps every request unique
-- and freshly timestamped however long or fast the run is, with no file of
-- pre-signed requests to size in advance; signing and building a request
-- cost the client a few microseconds.
--
-- Environment:
--   BENCH_WEBHOOK_ACCOUNT  channel account name (default benchhook)
--   BENCH_WEBHOOK_SECRET   its secret (required)
--   BENCH_WEBHOOK_RUN      prefix of the messageIds (default: unix time)
--   BENCH_WEBHOOK_SUMMARY  file that done() writes one key=value line to
--                          (default: the line goes to stdout)
local ffi = require("ffi")

ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const char *d, size_t n, unsigned char *md,
                    unsigned int *md_len);
]]

local function load_crypto()
  -- The symbols are already in the process (wrk links libcrypto.so.3).
  if pcall(function() return ffi.C.HMAC end) then return ffi.C end
  for _, name in ipairs({ "libcrypto.so.3", "crypto" }) do
    local ok, lib = pcall(ffi.load, name)
    if ok then return lib end
  end
  error("webhook.lua: cannot find OpenSSL's HMAC (libcrypto)")
end

local account = os.getenv("BENCH_WEBHOOK_ACCOUNT") or "benchhook"
local secret = os.getenv("BENCH_WEBHOOK_SECRET")
local run = os.getenv("BENCH_WEBHOOK_RUN") or tostring(os.time())
local summary_file = os.getenv("BENCH_WEBHOOK_SUMMARY")
local path = "/v1/channels/" .. account .. "/messages"

-- setup() runs in the main thread once per wrk thread: number them.
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local crypto, md, mdlen, hex, n
local texts = {
  "我的订单DD20261111%08d什么时候发货？双十一付的定金，尾款也付了。",
  "快递三天没动了，单号YT78%011d，麻烦帮我查一下到哪了。",
  "请问满300减50和店铺券能一起用吗？订单DD20261111%08d",
  "收到的商品有破损，想申请退货退款，订单DD20261111%08d",
}

function init(args)
  if not secret or secret == "" then error("webhook.lua: BENCH_WEBHOOK_SECRET is not set") end
  crypto = load_crypto()
  md = ffi.new("unsigned char[32]")
  mdlen = ffi.new("unsigned int[1]")
  hex = {}
  for i = 0, 255 do hex[i] = string.format("%02x", i) end
  n = 0
end

local sha256
local function sign(ts, body)
  sha256 = sha256 or crypto.EVP_sha256()
  local data = ts .. "." .. body
  crypto.HMAC(sha256, secret, #secret, data, #data, md, mdlen)
  local out = {}
  for i = 0, 31 do out[i + 1] = hex[md[i]] end
  return "sha256=" .. table.concat(out)
end

function request()
  n = n + 1
  local ts = tostring(os.time())
  local k = tid * 1000003 + n
  local text = string.format(texts[k % #texts + 1], k % 100000000)
  local body = string.format(
    '{"externalUserId":"visitor-%d","displayName":"小王","messageId":"%s-w%d-%d","text":"%s"}',
    k % 5000, run, tid, n, text)
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["X-Peakdesk-Timestamp"] = ts,
    ["X-Peakdesk-Signature"] = sign(ts, body),
  }, body)
end

-- One machine-readable line (latency in microseconds; non2xx counts every
-- status outside 200-399, errors the socket-level failures).
function done(summary, latency, requests)
  local e = summary.errors
  local line = string.format(
    "requests=%d duration_us=%d rps=%.1f non2xx=%d errors=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.0f",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6), e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean)
  if summary_file and summary_file ~= "" then
    local f = assert(io.open(summary_file, "w"))
    f:write(line, "\n")
    f:close()
  else
    io.write(line, "\n")
  end
end
