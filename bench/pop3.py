#!/usr/bin/env python3
"""POP3 benchmark helper for bench/pop3.sh (loopback only).

  pop3.py fill  PORT RCPT N SIZE     deliver N messages of SIZE octets to RCPT
                                     over LMTP (8 connections), the same
                                     messages for every server
  pop3.py fetch PORT USER PASS N     one POP3 session: RETR and DELE every
                                     message, QUIT; prints the rate
"""
import poplib
import smtplib
import sys
import threading
import time

HOST = "127.0.0.1"


def message(i, size):
    head = (f"From: Bench Sender <sender@bench.test>\r\nTo: bench1@bench.test\r\n"
            f"Subject: pop3 bench message {i}\r\nMessage-ID: <pop3-bench-{i}@bench.test>\r\n"
            f"Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\n")
    body, n = [], len(head)
    k = 0
    while n < size:
        # One line in eight starts with a dot: dot-stuffing is measured too.
        line = (".dot " if k % 8 == 0 else "") + f"line {k} of message {i}: the quick brown fox jumps over the lazy dog\r\n"
        body.append(line)
        n += len(line)
        k += 1
    return (head + "".join(body)).encode()


def fill(port, rcpt, n, size):
    work = list(range(n))
    lock = threading.Lock()
    errors = []

    def worker():
        c = smtplib.LMTP(HOST, port)
        c.ehlo("bench.test")
        while True:
            with lock:
                if not work:
                    break
                i = work.pop()
            try:
                c.sendmail("sender@bench.test", [rcpt], message(i, size))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
                break
        c.quit()

    start = time.time()
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit(f"fill: {errors[0]}")
    print(f"filled {n} messages in {time.time() - start:.1f} s")


def fetch(port, user, password, n):
    start = time.time()
    p = poplib.POP3(HOST, port, timeout=300)
    p.user(user)
    p.pass_(password)
    count, _ = p.stat()
    if count != n:
        sys.exit(f"fetch: {count} messages in the maildrop, want {n}")
    octets = 0
    for i in range(1, count + 1):
        _, lines, o = p.retr(i)
        octets += o
        p.dele(i)
    p.quit()
    d = time.time() - start
    print(f"downloaded and deleted {count} messages ({octets} octets) in {d:.2f} s = {count / d:.0f} msgs/s")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "fill":
        fill(int(args[0]), args[1], int(args[2]), int(args[3]))
    elif cmd == "fetch":
        fetch(int(args[0]), args[1], args[2], int(args[3]))
    else:
        sys.exit(__doc__)
