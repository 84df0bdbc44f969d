#!/usr/bin/env python3
"""chaos_load.py: the steady mixed load of tests/chaos/suite_chaos.sh.

  chaos_load.py --out DIR --seconds S --gw HOST:PORT --secret S --account A
                --peakdesk BIN --agents FILE --hook FILE [--rate R]
                [--logistics N] [--stock N] [--promo N] [--answer-share P]
                [--retry-status 0,503] [--resend-rejected REGEX]

Runs until --seconds have passed, then finishes what is in flight (retries
of failed sends included, bounded by --retry-s) and exits. Everything sent
is recorded in DIR as JSON lines, one per item with its final outcome, so the
test can compare what was acknowledged with what the database holds:

  webhook.jsonl   {"id": messageId, "user", "status": accepted|duplicate|failed:<why>, "tries",
                   "t0": first send, "t": final answer (unix s), "errs": {"503": n, "0": n}}
                  customer messages on the signed webhook at a fixed rate (open
                  loop: message i is due at start + i / rate); a send that got
                  no 200 (connection refused while the gateway is down, 503
                  while PostgreSQL is) is sent again with the same messageId,
                  as a channel would, until it is answered or --retry-s pass
  dept.jsonl      {"kind": logistics|stock|promo, "eventId", "ref", "status": ACCEPTED|DUPLICATE|REJECTED|failed,
                   "tries", "t0": batch first sent, "t": batch acked (unix s), "errs": failed tries' last lines,
                   "rejected": times REJECTED and re-sent (--resend-rejected)}
                  department events through `peakdesk publish --to KIND`, one batch
                  per kind per second, a failed batch re-sent with the same ids
  resolve.jsonl   {"ticket", "agent", "round", "status"} agents (tokens in --agents,
                  lines "name token") reply to and resolve the tickets assigned to
                  them, each after a random 1-12 s (some miss the first-response SLA)
  answer.jsonl    {"token", "invitation", "status"} customers answer a share of the
                  survey links that reach the channel receiver's log (--hook)
  summary.json    counts
"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import queue
import random
import re
import subprocess
import sys
import threading
import time
import uuid

from survey_links import LinkFollower, invitation_of

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True)
ap.add_argument("--seconds", type=float, required=True)
ap.add_argument("--gw", required=True)
ap.add_argument("--secret", required=True)
ap.add_argument("--account", default="webchat")
ap.add_argument("--peakdesk", required=True)
ap.add_argument("--agents", required=True)
ap.add_argument("--hook", required=True)
ap.add_argument("--rate", type=float, default=6.0)
ap.add_argument("--logistics", type=int, default=10)
ap.add_argument("--stock", type=int, default=6)
ap.add_argument("--promo", type=int, default=2)
ap.add_argument("--answer-share", type=float, default=0.6)
ap.add_argument("--retry-s", type=float, default=90.0)
ap.add_argument("--run", default="%x" % (int(time.time()) & 0xFFFFFF))
# What counts as "not answered, send again": HTTP statuses (0 = no connection)
# for customer messages, surveys and agents; and REJECTED acks whose reason
# matches --resend-rejected (a department re-sending what was refused for a
# transient reason, e.g. a full disk); by default a REJECTED is final.
ap.add_argument("--retry-status", default="0,503")
ap.add_argument("--resend-rejected", default="")
A = ap.parse_args()
RETRY = {int(x) for x in A.retry_status.split(",") if x.strip()}
RESEND_REJ = re.compile(A.resend_rejected) if A.resend_rejected else None
os.makedirs(A.out, exist_ok=True)
T0 = time.time()
END = T0 + A.seconds
GIVE_UP = END + A.retry_s
rnd = random.Random(4242)
lock = threading.Lock()
files = {n: open(os.path.join(A.out, n + ".jsonl"), "a") for n in ("webhook", "dept", "resolve", "answer")}
counts = {}


def record(name, obj, key):
    with lock:
        files[name].write(json.dumps(obj, ensure_ascii=False) + "\n")
        files[name].flush()
        k = name + "." + key
        counts[k] = counts.get(k, 0) + 1


def note(msg):
    sys.stderr.write("chaos_load %6.1fs %s\n" % (time.time() - T0, msg))
    sys.stderr.flush()


def call(host, method, path, body=None, headers=None, timeout=10):
    """(status, body text); status 0 with the reason on a transport error."""
    h, p = host.rsplit(":", 1)
    c = http.client.HTTPConnection(h, int(p), timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    except Exception as e:  # refused, reset, timeout: the service is down
        return 0, type(e).__name__
    finally:
        c.close()


# ---- customer messages ----------------------------------------------------------------
TEXTS = ["请问什么时候发货？", "衣服有色差，可以换吗", "我的退款怎么还没到", "能开发票吗",
         "这个尺码偏大还是偏小", "快递三天没动了", "收到的商品有瑕疵", "怎么修改收货地址",
         "客服在吗，急", "商品和描述不符，要投诉", "赠品没有收到", "发错颜色了"]
wq = queue.Queue()


def webhook_send(i):
    # Every third message is a follow-up of an earlier customer's (it joins
    # or reopens that customer's ticket); the others open new tickets.
    if i % 3 == 2 and i > 12:
        user = "%s-u%d" % (A.run, i - 12 - (i - 12) % 3)
    else:
        user = "%s-u%d" % (A.run, i)
    mid = "%s-m%d" % (A.run, i)
    body = json.dumps({"externalUserId": user, "messageId": mid,
                       "text": TEXTS[(i * 7) % len(TEXTS)] + " #%d" % i}, ensure_ascii=False).encode()
    tries, why, errs = 0, "", {}
    t_first = time.time()
    while True:
        tries += 1
        ts = str(int(time.time()))
        sig = hmac.new(A.secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        st, txt = call(A.gw, "POST", "/v1/channels/%s/messages" % A.account, body,
                       {"Content-Type": "application/json", "X-Peakdesk-Timestamp": ts,
                        "X-Peakdesk-Signature": "sha256=" + sig})
        if st == 200:
            status = json.loads(txt).get("status", "?")
            break
        why = "%d:%s" % (st, txt[:80])
        errs[str(st)] = errs.get(str(st), 0) + 1
        if st not in RETRY or time.time() > GIVE_UP:
            status = "failed:" + why
            break
        time.sleep(min(0.2 * tries, 2.0))
    record("webhook", {"id": mid, "user": user, "status": status, "tries": tries, "t0": round(t_first, 3),
                       "t": round(time.time(), 3), "errs": errs}, status.split(":")[0])


def webhook_worker():
    while True:
        i = wq.get()
        if i is None:
            return
        webhook_send(i)


def webhook_scheduler():
    i = 0
    while True:
        due = T0 + i / A.rate
        if due >= END:
            break
        d = due - time.time()
        if d > 0:
            time.sleep(d)
        wq.put(i)
        i += 1
    note("webhook: %d messages scheduled" % i)


# ---- department events ----------------------------------------------------------------
def now_ms():
    return int(time.time() * 1000)


def dept_events(kind, b, n):
    evs = []
    for k in range(n):
        i = b * n + k
        eid = str(uuid.UUID(bytes=hashlib.sha256(("%s/%s/%d" % (A.run, kind, i)).encode()).digest()[:16], version=4))
        if kind == "logistics":
            if i % 2 == 0:   # an order of one of our customers
                ref = "%s-O%d" % (A.run, i // 2)
                ev = {"order": {"orderId": ref, "orderedAtMs": str(now_ms()), "status": "ORDER_STATUS_AWAITING",
                                "customer": {"channel": "CHANNEL_KIND_WEBHOOK", "account": A.account,
                                             "externalUserId": "%s-u%d" % (A.run, i)},
                                "items": [{"sku": "%s-K%d" % (A.run, i % 50), "quantity": 1}]}}
            else:            # its parcel
                ref = "%s-T%d" % (A.run, i // 2)
                ev = {"shipmentUpdate": {"orderId": "%s-O%d" % (A.run, i // 2), "carrier": "zto",
                                         "trackingNo": ref, "state": "SHIPMENT_STATE_CREATED"}}
        elif kind == "stock":  # a new SKU level in its own warehouse: one levels row each
            ref = "%s-S%d" % (A.run, i)
            avail = 0 if i % 25 == 7 else 50 + i % 100
            ev = {"stockLevel": {"sku": ref, "warehouse": "HZ1", "skuName": "商品 %d" % i,
                                 "onHand": str(avail), "reserved": "0", "available": str(avail),
                                 "version": str(i + 1)}}
        else:                  # a campaign whose window is tomorrow (not live: no flips)
            ref = "%s-C%d" % (A.run, i)
            start = (int(time.time()) // 3600 + 24) * 3600 * 1000
            ev = {"campaign": {"campaignId": ref, "name": "活动 %d" % i, "version": "1",
                               "windows": [{"kind": "WINDOW_KIND_MAIN_DAY", "startMs": str(start),
                                            "endMs": str(start + 3600000)}]}}
        ev["eventId"] = eid
        ev["occurredAtMs"] = str(now_ms())
        evs.append((eid, ref, ev))
    return evs


def publish(kind, evs):
    """Sends one batch until every event has an ack; returns {eventId: status}."""
    data = "".join(json.dumps(e, ensure_ascii=False) + "\n" for _, _, e in evs).encode()
    acks = {}
    tries = 0
    errs = []
    rejected = {}
    while True:
        tries += 1
        try:
            p = subprocess.run([A.peakdesk, "publish", "--to", kind, "--batch", "1000", "-"], input=data,
                               capture_output=True, timeout=40)
            out, err = p.stdout.decode(), p.stderr.decode()
        except subprocess.TimeoutExpired:
            out, err = "", "timeout"
        except OSError as e:   # e.g. the binary being rewritten by a build
            out, err = "", "cannot run peakdesk: %s" % e
        for line in out.splitlines():
            try:
                a = json.loads(line)
            except ValueError:
                continue
            st = a.get("status", "").replace("ACK_STATUS_", "")
            eid = a.get("eventId", "")
            if eid and st:
                if st == "REJECTED" and RESEND_REJ and RESEND_REJ.search(a.get("reason", "")):
                    rejected[eid] = rejected.get(eid, 0) + 1
                    continue   # refused for a transient reason: sent again
                # a DUPLICATE after a failed try means that try committed
                acks.setdefault(eid, st)
                if st == "REJECTED":
                    note("%s REJECTED %s" % (kind, line))
        if all(eid in acks for eid, _, _ in evs):
            return acks, tries, errs, rejected
        last = err.strip().splitlines()[-1:] if err.strip() else ["no acks"]
        if last[0][:120] not in errs and len(errs) < 5:
            errs.append(last[0][:120])
        if time.time() > GIVE_UP:
            return acks, tries, errs, rejected
        if tries == 1 or tries % 10 == 0:
            note("%s batch try %d: %s" % (kind, tries, err.strip().splitlines()[-1:] if err.strip() else "no acks"))
        time.sleep(min(0.5 * tries, 3.0))


def dept_loop(kind, n):
    b = 0
    while n > 0 and time.time() < END:
        t = time.time()
        evs = dept_events(kind, b, n)
        acks, tries, errs, rejected = publish(kind, evs)
        t_ack = round(time.time(), 3)
        for eid, ref, _ in evs:
            st = acks.get(eid, "failed")
            record("dept", {"kind": kind, "eventId": eid, "ref": ref, "status": st, "tries": tries,
                            "t0": round(t, 3), "t": t_ack, "errs": errs, "rejected": rejected.get(eid, 0)}, kind + "." + st)
        b += 1
        d = 1.0 - (time.time() - t)
        if d > 0:
            time.sleep(d)
    note("%s: %d batches" % (kind, b))


# ---- agents ---------------------------------------------------------------------------
def agent_call(token, method, path, body, key):
    """Sends until answered (202 accepted / 200 duplicate / a refusal)."""
    tries = 0
    while True:
        tries += 1
        st, txt = call(A.gw, method, path, json.dumps(body, ensure_ascii=False).encode(),
                       {"Authorization": "Bearer " + token, "Content-Type": "application/json",
                        "Idempotency-Key": key})
        if st not in RETRY or time.time() > GIVE_UP:
            return st, txt
        time.sleep(min(0.3 * tries, 2.0))


def agent_loop(name, token):
    due = {}        # ticket -> when to answer it
    rounds = {}     # ticket -> how many times we resolved it (a reopened ticket comes back)
    done_at = {}
    while time.time() < GIVE_UP:
        st, txt = call(A.gw, "GET", "/v1/agent/queue", headers={"Authorization": "Bearer " + token})
        if st != 200:
            time.sleep(0.5)
            continue
        mine = [t["publicId"] for t in json.loads(txt).get("tickets", [])
                if t.get("agentId") == name and t.get("status") == "open"]
        now = time.time()
        for pid in mine:
            if pid in done_at and now - done_at[pid] < 3:
                continue     # our resolve may still be on its way through the router
            if pid not in due:
                due[pid] = now + (rnd.uniform(1, 12) if now < END else 0.5)
            if now < due[pid]:
                continue
            r = rounds.get(pid, 0) + 1
            st1, _ = agent_call(token, "POST", "/v1/tickets/%s/reply" % pid, {"text": "已为您处理好了"},
                                "reply-%s-%d" % (pid, r))
            st2, txt2 = agent_call(token, "POST", "/v1/tickets/%s/resolve" % pid,
                                   {"resolution": "done", "resolutionCode": "answered"}, "resolve-%s-%d" % (pid, r))
            rounds[pid] = r
            done_at[pid] = time.time()
            due.pop(pid, None)
            s = "accepted" if st2 == 202 else ("duplicate" if st2 == 200 else "failed:%d" % st2)
            record("resolve", {"ticket": pid, "agent": name, "round": r, "status": s, "reply": st1}, s.split(":")[0])
        if now > END + 20 and not mine:
            break
        time.sleep(0.7)


# ---- survey answers -------------------------------------------------------------------
def survey_loop():
    links = LinkFollower(A.hook)
    while time.time() < GIVE_UP:
        for base, token in links.new_links():
            if rnd.random() >= A.answer_share:
                continue
            score = rnd.choice([5, 5, 4, 4, 3, 2])
            tries = 0
            while True:
                tries += 1
                st, txt = call(base, "POST", "/v1/surveys/" + token, json.dumps({"csat": score}).encode(),
                               {"Content-Type": "application/json"})
                if st not in RETRY or time.time() > GIVE_UP:
                    break
                time.sleep(min(0.3 * tries, 2.0))
            s = {201: "recorded", 409: "already"}.get(st, "failed:%d" % st)
            record("answer", {"token": token, "invitation": invitation_of(token), "status": s, "tries": tries,
                              "csat": score}, s.split(":")[0])
        if time.time() > END + 25:
            break
        time.sleep(0.5)


# ---- run ------------------------------------------------------------------------------
agents = [l.split() for l in open(A.agents) if l.strip()]
threads = [threading.Thread(target=webhook_worker, daemon=True) for _ in range(8)]
threads += [threading.Thread(target=dept_loop, args=(k, n), daemon=True)
            for k, n in (("logistics", A.logistics), ("stock", A.stock), ("promo", A.promo))]
threads += [threading.Thread(target=agent_loop, args=(n, t), daemon=True) for n, t in agents]
threads.append(threading.Thread(target=survey_loop, daemon=True))
for t in threads:
    t.start()
webhook_scheduler()
for _ in range(8):
    wq.put(None)
for t in threads:
    t.join(max(1.0, GIVE_UP + 60 - time.time()))
with lock:
    json.dump(counts, open(os.path.join(A.out, "summary.json"), "w"), indent=1, sort_keys=True)
note("done: %s" % json.dumps(counts, sort_keys=True))
