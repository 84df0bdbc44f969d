#!/usr/bin/env python3
"""suite_load.py: everything of the promo-peak mix of tests/bench/suite.sh
except the customer messages themselves (bench_webhook_load sends those, open
loop, in C): department events in proportion to the customer-message rate,
agents replying to and resolving their tickets, customers answering surveys.

  suite_load.py --out DIR --seconds S --rate R --run ID --gw HOST:PORT
                --logistics HOST:PORT --stock HOST:PORT --promo HOST:PORT
                --account A --agents FILE --hook FILE
                [--orders 0.5] [--shipments 0.3] [--stock-share 0.1]
                [--campaign-every 60] [--skus 500] [--answer-share 0.5]
                [--hold 3,12] [--stop-file F] [--hook-from-end]

The mix, per customer message (R of them a second):
  --orders      logistics OrderAwaitingFulfilment events (order "<run>-O<n>" of
                the load's customer "<run>-c<2n>", one line item of SKU
                "<run>-K<n % skus>")
  --shipments   logistics ShipmentUpdate events: shipment s is the parcel of
                order 3s, first CREATED, then (its second event) COLLECTED
  --stock-share stock StockLevel reports: SKU "<run>-K<k % skus>" in HZ1,
                version k + 1 (newest wins, so every report applies), one in
                50 a stock-out (available 0: stock.shortage with the unshipped
                orders it hits), the next report of that SKU a restock
  one promo Campaign update (campaign "<run>-C", version + 1, its window
  tomorrow) every --campaign-every seconds, the first at the start.
Each kind goes as one POST /v1/ingest batch a second to its service (JSON
IngestRequest; acks in request order); a batch that fails (no 200) is sent
again with the same event ids. Every event is recorded in DIR/dept.csv as
kind,eventId,ref,status.

Agents (--agents: lines "name token") poll GET /v1/agent/queue every second
on a keep-alive connection and, --hold seconds (uniform) after first seeing a
ticket assigned to them, reply and resolve it through the agent API
(DIR/resolve.csv: ticket,agent,reply status,resolve status). Customers answer
--answer-share of the survey links that reach the channel receiver (--hook,
tests/tools/http_receiver.py's log) with a CSAT score (DIR/answer.csv).
Runs until --seconds have passed or --stop-file exists, then keeps resolving
and answering until the stop file exists (the caller decides when the run has
drained); writes DIR/summary.json with the counts.
"""
import argparse
import hashlib
import http.client
import json
import os
import random
import sys
import threading
import time
import uuid

from survey_links import LinkFollower, invitation_of

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True)
ap.add_argument("--seconds", type=float, required=True)
ap.add_argument("--rate", type=float, required=True)
ap.add_argument("--run", required=True)
ap.add_argument("--gw", required=True)
ap.add_argument("--logistics", required=True)
ap.add_argument("--stock", required=True)
ap.add_argument("--promo", required=True)
ap.add_argument("--account", required=True)
ap.add_argument("--agents", required=True)
ap.add_argument("--hook", required=True)
ap.add_argument("--orders", type=float, default=0.5)
ap.add_argument("--shipments", type=float, default=0.3)
ap.add_argument("--stock-share", type=float, default=0.1)
ap.add_argument("--campaign-every", type=float, default=60)
ap.add_argument("--skus", type=int, default=500)
ap.add_argument("--answer-share", type=float, default=0.5)
ap.add_argument("--hold", default="3,12")
ap.add_argument("--stop-file", default="")
ap.add_argument("--hook-from-end", action="store_true")
A = ap.parse_args()
os.makedirs(A.out, exist_ok=True)
T0 = time.time()
END = T0 + A.seconds
HOLD = [float(x) for x in A.hold.split(",")]
rnd = random.Random(hash(A.run) & 0xFFFF)
lock = threading.Lock()
files = {n: open(os.path.join(A.out, n + ".csv"), "a") for n in ("dept", "resolve", "answer")}
counts = {}


def stopped():
    return A.stop_file and os.path.exists(A.stop_file)


def record(name, row, key):
    with lock:
        files[name].write(",".join(str(x) for x in row) + "\n")
        k = name + "." + key
        counts[k] = counts.get(k, 0) + 1


def note(msg):
    sys.stderr.write("suite_load %6.1fs %s\n" % (time.time() - T0, msg))
    sys.stderr.flush()


class Conn:
    """One keep-alive HTTP/1.1 connection, reopened after an error."""

    def __init__(self, addr):
        self.h, self.p = addr.rsplit(":", 1)
        self.c = None

    def call(self, method, path, body=None, headers=None, timeout=30):
        for attempt in (1, 2):
            try:
                if self.c is None:
                    self.c = http.client.HTTPConnection(self.h, int(self.p), timeout=timeout)
                self.c.request(method, path, body=body, headers=headers or {})
                r = self.c.getresponse()
                return r.status, r.read().decode("utf-8", "replace")
            except Exception as e:  # reset / closed keep-alive: one fresh try
                try:
                    self.c.close()
                except Exception:
                    pass
                self.c = None
                if attempt == 2:
                    return 0, type(e).__name__
        return 0, "?"


def now_ms():
    return int(time.time() * 1000)


def eid_of(kind, i):
    return str(uuid.UUID(bytes=hashlib.sha256(("%s/%s/%d" % (A.run, kind, i)).encode()).digest()[:16], version=4))


# ---- department events ------------------------------------------------------------------
def ingest(conn, kind, evs):
    body = json.dumps({"events": [e for _, _, e in evs]}, ensure_ascii=False).encode()
    tries = 0
    while True:
        tries += 1
        st, txt = conn.call("POST", "/v1/ingest", body, {"Content-Type": "application/json"})
        if st == 200:
            acks = json.loads(txt).get("acks", [])
            out = []
            for k, (eid, ref, _) in enumerate(evs):
                a = acks[k] if k < len(acks) else {}
                s = a.get("status", "ACK_STATUS_UNSPECIFIED").replace("ACK_STATUS_", "")
                if s == "REJECTED":
                    note("%s REJECTED %s: %s" % (kind, ref, a.get("reason", "")))
                out.append(s)
            return out, tries
        if tries == 1 or tries % 10 == 0:
            note("%s batch of %d: try %d answered %d %s" % (kind, len(evs), tries, st, txt[:120]))
        if time.time() > END + 60:
            return ["failed:%d" % st] * len(evs), tries
        time.sleep(min(0.5 * tries, 3.0))


def order_ev(n):
    ref = "%s-O%d" % (A.run, n)
    ev = {"order": {"orderId": ref, "orderedAtMs": str(now_ms()), "status": "ORDER_STATUS_AWAITING",
                    "customer": {"channel": "CHANNEL_KIND_WEBHOOK", "account": A.account,
                                 "externalUserId": "%s-c%d" % (A.run, 2 * n)},
                    "items": [{"sku": "%s-K%d" % (A.run, n % A.skus), "name": "大促商品 %d" % (n % A.skus),
                               "quantity": 1 + n % 3}]}}
    return "O", ref, ev


def shipment_ev(k):
    s = k // 2
    ref = "%s-T%d" % (A.run, s)
    ev = {"shipmentUpdate": {"orderId": "%s-O%d" % (A.run, 3 * s), "carrier": "zto", "trackingNo": ref,
                             "state": "SHIPMENT_STATE_CREATED" if k % 2 == 0 else "SHIPMENT_STATE_COLLECTED"}}
    return "T", ref, ev


def stock_ev(k):
    sku = "%s-K%d" % (A.run, k % A.skus)
    avail = 0 if k % 50 == 49 else 20 + k % 200
    ev = {"stockLevel": {"sku": sku, "warehouse": "HZ1", "skuName": "大促商品 %d" % (k % A.skus),
                         "onHand": str(avail), "reserved": "0", "available": str(avail), "version": str(k + 1)}}
    return "S", sku, ev


def campaign_ev(v):
    ref = "%s-C" % A.run
    start = (int(T0) // 3600 + 24) * 3600 * 1000
    ev = {"campaign": {"campaignId": ref, "name": "大促 %s" % A.run, "version": str(v + 1),
                       "windows": [{"kind": "WINDOW_KIND_MAIN_DAY", "startMs": str(start),
                                    "endMs": str(start + 3600000)}],
                       "rules": [{"ruleId": "r1", "title": "满300减50", "text": "每满300元减50元，上不封顶（更新 %d）" % v,
                                  "keywords": ["满减"]}]}}
    return "C", ref, ev


def wrap(kind, i, triple):
    _, ref, ev = triple
    eid = eid_of(kind + triple[0], i)
    ev["eventId"] = eid
    ev["occurredAtMs"] = str(now_ms())
    return eid, ref, ev


def logistics_loop():
    conn = Conn(A.logistics)
    no = ns = 0
    tick = 0
    while time.time() < END and not stopped():
        tick += 1
        el = time.time() - T0 + 1
        evs = []
        while no < int(A.rate * A.orders * el):
            evs.append(wrap("logistics", no, order_ev(no)))
            no += 1
        while ns < int(A.rate * A.shipments * el) and 3 * (ns // 2) < no:
            evs.append(wrap("logistics", ns, shipment_ev(ns)))
            ns += 1
        if evs:
            sts, _ = ingest(conn, "logistics", evs)
            for (eid, ref, _), s in zip(evs, sts):
                sub = "order" if "-O" in ref else "shipment"
                record("dept", ("logistics", eid, ref, s), sub + "." + s.split(":")[0])
        d = T0 + tick - time.time()
        if d > 0:
            time.sleep(d)
    note("logistics: %d orders, %d shipment events" % (no, ns))


def stock_loop():
    conn = Conn(A.stock)
    k = 0
    tick = 0
    while time.time() < END and not stopped():
        tick += 1
        el = time.time() - T0 + 1
        evs = []
        while k < int(A.rate * A.stock_share * el):
            evs.append(wrap("stock", k, stock_ev(k)))
            k += 1
        if evs:
            sts, _ = ingest(conn, "stock", evs)
            for (eid, ref, _), s in zip(evs, sts):
                record("dept", ("stock", eid, ref, s), "stock." + s.split(":")[0])
        d = T0 + tick - time.time()
        if d > 0:
            time.sleep(d)
    note("stock: %d reports" % k)


def promo_loop():
    conn = Conn(A.promo)
    v = 0
    while time.time() < END and not stopped():
        if time.time() >= T0 + v * A.campaign_every:
            evs = [wrap("promo", v, campaign_ev(v))]
            sts, _ = ingest(conn, "promo", evs)
            record("dept", ("promo", evs[0][0], evs[0][1], sts[0]), "campaign." + sts[0].split(":")[0])
            v += 1
        time.sleep(0.5)
    note("promo: %d campaign updates" % v)


# ---- agents -------------------------------------------------------------------------------
def agent_loop(name, token):
    conn = Conn(A.gw)
    auth = {"Authorization": "Bearer " + token}
    due, done = {}, {}
    r = random.Random(name)
    time.sleep(r.uniform(0, 1))
    while not stopped():
        st, txt = conn.call("GET", "/v1/agent/queue", headers=auth)
        if st != 200:
            time.sleep(1)
            continue
        mine = [t["publicId"] for t in json.loads(txt).get("tickets", [])
                if t.get("agentId") == name and t.get("status") == "open"]
        now = time.time()
        for pid in mine:
            if pid in done and now - done[pid] < 5:
                continue   # our resolve may still be on its way through the router
            if pid not in due:
                due[pid] = now + r.uniform(HOLD[0], HOLD[1])
            if now < due[pid]:
                continue
            rnd_n = done.get(pid + "#", 0) + 1
            h = dict(auth, **{"Content-Type": "application/json"})
            s1, _ = conn.call("POST", "/v1/tickets/%s/reply" % pid,
                              json.dumps({"text": "亲，已为您处理好了，大促期间感谢耐心等待"}, ensure_ascii=False).encode(),
                              dict(h, **{"Idempotency-Key": "reply-%s-%d" % (pid, rnd_n)}))
            s2, _ = conn.call("POST", "/v1/tickets/%s/resolve" % pid,
                              json.dumps({"resolution": "done", "resolutionCode": "answered"}).encode(),
                              dict(h, **{"Idempotency-Key": "resolve-%s-%d" % (pid, rnd_n)}))
            done[pid] = time.time()
            done[pid + "#"] = rnd_n
            due.pop(pid, None)
            record("resolve", (pid, name, s1, s2), "accepted" if s2 == 202 else "status_%d" % s2)
        time.sleep(max(0.0, 1.0 - (time.time() - now)))


# ---- survey answers -----------------------------------------------------------------------
def survey_loop():
    pos = 0
    if A.hook_from_end:   # links of an earlier run are not ours to answer
        try:
            pos = os.path.getsize(A.hook)
        except OSError:
            pos = 0
    links = LinkFollower(A.hook, pos)
    conns = {}
    r = random.Random(7)
    while not stopped():
        for base, token in links.new_links():
            if r.random() >= A.answer_share:
                continue
            c = conns.setdefault(base, Conn(base))
            score = r.choice([5, 5, 5, 4, 4, 3, 2, 1])
            st, _ = c.call("POST", "/v1/surveys/" + token, json.dumps({"csat": score}).encode(),
                           {"Content-Type": "application/json"})
            s = {201: "recorded", 409: "already"}.get(st, "failed_%d" % st)
            record("answer", (token, invitation_of(token), s, score), s)
        time.sleep(0.5)


agents = [l.split() for l in open(A.agents) if l.strip()]
threads = [threading.Thread(target=f, daemon=True) for f in (logistics_loop, stock_loop, promo_loop, survey_loop)]
threads += [threading.Thread(target=agent_loop, args=(n, t), daemon=True) for n, t in agents]
for t in threads:
    t.start()
last = 0
while not stopped():
    time.sleep(0.5)
    if time.time() - last > 5:
        last = time.time()
        with lock:
            for f in files.values():
                f.flush()
            json.dump(counts, open(os.path.join(A.out, "summary.json.tmp"), "w"), sort_keys=True)
            os.replace(os.path.join(A.out, "summary.json.tmp"), os.path.join(A.out, "summary.json"))
for t in threads[:3]:
    t.join(70)
with lock:
    for f in files.values():
        f.flush()
    json.dump(counts, open(os.path.join(A.out, "summary.json"), "w"), sort_keys=True)
note("done: %s" % json.dumps(counts, sort_keys=True))
