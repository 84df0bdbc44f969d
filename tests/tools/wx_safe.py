#!/usr/bin/env python3
"""WeChat safe mode from the outside, for tests: encrypt a message the way
WeChat's servers do, or decrypt the gateway's encrypted reply. Uses the
openssl command line for AES (not peakdesk's code).

  wx_safe.py encrypt AESKEY43 APPID TOKEN TIMESTAMP NONCE < plain.xml   -> envelope XML + query on stderr
  wx_safe.py decrypt AESKEY43 APPID TOKEN < reply.xml                   -> plaintext XML (exit 1 if bad)
"""
import base64, hashlib, os, re, struct, subprocess, sys

def key_iv(k43):
    key = base64.b64decode(k43 + "=")
    return key.hex(), key[:16].hex()

def aes(args, data, k43):
    k, iv = key_iv(k43)
    return subprocess.run(["openssl", "enc", "-aes-256-cbc", "-nopad", "-K", k, "-iv", iv] + args,
                          input=data, capture_output=True, check=True).stdout

def sig(*parts):
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()

mode, k43, appid, token = sys.argv[1:5]
if mode == "encrypt":
    ts, nonce = sys.argv[5:7]
    xml = sys.stdin.buffer.read()
    plain = os.urandom(16) + struct.pack(">I", len(xml)) + xml + appid.encode()
    pad = 32 - len(plain) % 32
    enc = base64.b64encode(aes([], plain + bytes([pad]) * pad, k43)).decode()
    print(f"<xml><ToUserName><![CDATA[gh_shop]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>")
    print(f"timestamp={ts}&nonce={nonce}&encrypt_type=aes&msg_signature={sig(token, ts, nonce, enc)}", file=sys.stderr)
else:
    doc = sys.stdin.read()
    f = lambda n: re.search(rf"<{n}><!\[CDATA\[(.*?)\]\]></{n}>|<{n}>(.*?)</{n}>", doc, re.S)
    g = lambda m: m.group(1) if m.group(1) is not None else m.group(2)
    enc, msig, ts, nonce = g(f("Encrypt")), g(f("MsgSignature")), g(f("TimeStamp")), g(f("Nonce"))
    if sig(token, ts, nonce, enc) != msig:
        sys.exit("bad MsgSignature")
    plain = aes(["-d"], base64.b64decode(enc), k43)
    plain = plain[:-plain[-1]]
    n = struct.unpack(">I", plain[16:20])[0]
    if plain[20 + n:].decode() != appid:
        sys.exit("wrong appid")
    sys.stdout.write(plain[20:20 + n].decode())
