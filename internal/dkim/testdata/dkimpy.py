"""dkimpy (Debian python3-dkim) as the independent DKIM implementation of
Petrel's interop tests. No real DNS: key records come from a JSON file.

  dkimpy.py verify MESSAGE KEYS.json
      prints one line per DKIM-Signature field, top first: "pass", or
      "fail" and dkimpy's reason. KEYS.json maps record names
      ("sel._domainkey.example.org") to TXT texts; other names have none.

  dkimpy.py sign MESSAGE SELECTOR DOMAIN ALGORITHM KEYFILE [HEADERS] [length]
      prints the DKIM-Signature field (relaxed/relaxed). ALGORITHM is
      rsa-sha256, rsa-sha1 or ed25519-sha256; KEYFILE holds a PKCS#1 PEM
      key (RSA) or the base64 Ed25519 seed. HEADERS is a colon-separated
      list of fields to sign ("" or absent: dkimpy's default); "length"
      adds l=.
"""
import json
import sys

import dkim


def verify(msg_path, keys_path):
    with open(msg_path, "rb") as f:
        msg = f.read()
    with open(keys_path) as f:
        keys = json.load(f)

    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        txt = keys.get(name.rstrip("."))
        return txt.encode() if txt is not None else None

    d = dkim.DKIM(msg)
    n = len([1 for k, _ in d.headers if k.lower() == b"dkim-signature"])
    for i in range(n):
        try:
            ok = d.verify(idx=i, dnsfunc=dnsfunc)
            print("pass" if ok else "fail")
        except dkim.DKIMException as e:
            print("fail", e)


def sign(msg_path, selector, domain, algorithm, key_path, headers="", length=""):
    with open(msg_path, "rb") as f:
        msg = f.read()
    with open(key_path, "rb") as f:
        key = f.read().strip()
    include = [h.encode() for h in headers.split(":")] if headers else None
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                    canonicalize=(b"relaxed", b"relaxed"),
                    signature_algorithm=algorithm.encode(),
                    include_headers=include, length=(length == "length"))
    sys.stdout.buffer.write(sig)


if __name__ == "__main__":
    {"verify": verify, "sign": sign}[sys.argv[1]](*sys.argv[2:])
