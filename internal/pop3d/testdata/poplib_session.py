#!/usr/bin/env python3
"""One POP3 session with Python's poplib, for pop3d's scenario tests.

usage: poplib_session.py MODE HOST PORT USER PASSWORD CAFILE
MODE: plain (USER/PASS in clear), stls (STLS first), ssl (implicit TLS).
Runs every command, then prints the results as one JSON object.
"""
import base64
import json
import poplib
import ssl
import sys

mode, host, port, user, password, cafile = sys.argv[1:7]
ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = True
if mode == "ssl":
    p = poplib.POP3_SSL(host, int(port), context=ctx, timeout=20)
else:
    p = poplib.POP3(host, int(port), timeout=20)
res = {"welcome": p.getwelcome().decode()}
res["capa"] = sorted(p.capa().keys())
if mode == "stls":
    p.stls(context=ctx)
    res["capa_tls"] = sorted(p.capa().keys())
p.user(user)
res["pass"] = p.pass_(password).decode()
res["stat"] = list(p.stat())
_, lines, _ = p.list()
res["list"] = [l.decode() for l in lines]
_, lines, _ = p.uidl()
res["uidl"] = [l.decode() for l in lines]
res["retr"] = []
for i in range(1, len(res["list"]) + 1):
    resp, lines, octets = p.retr(i)
    body = b"\r\n".join(lines) + b"\r\n" if lines else b""
    res["retr"].append({"resp": resp.decode(), "body": base64.b64encode(body).decode(), "octets": octets})
_, lines, _ = p.top(1, 0)
res["top0"] = [l.decode() for l in lines]
_, lines, _ = p.top(1, 1)
res["top1"] = [l.decode() for l in lines]
p.dele(1)
p.dele(2)
res["rset"] = p.rset().decode()
p.dele(1)
res["noop"] = p.noop().decode()
try:
    p.retr(1)
    res["retr_deleted"] = "+OK"
except poplib.error_proto as e:
    res["retr_deleted"] = str(e)
res["quit"] = p.quit().decode()
print(json.dumps(res))
