"""A hostile (or slow) provider endpoint for gauth's cache and token tests.

Serves HTTP on 127.0.0.1 and prints `READY port=P pid=N` once listening. Every
request is counted: one line `METHOD PATH` appended to --log. Options:
  --mode hang       read the request, never answer (a hanging endpoint)
  --mode body       answer 200 with the bytes of --body (application/json)
  --mode slow       like body, after --delay seconds
  --body FILE       the answer's body
  --delay S         seconds before answering (mode slow)
  --log FILE        where requests are counted
  --log-body        append the request body to each line (form bodies of
                    token and revocation requests: which token was sent)
"""
import argparse, os, socket, sys, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--mode", default="body")
ap.add_argument("--body")
ap.add_argument("--delay", type=float, default=0)
ap.add_argument("--log")
ap.add_argument("--log-body", action="store_true")
a = ap.parse_args()

body = open(a.body, "rb").read() if a.body else b"{}"
lock = threading.Lock()


def serve(conn):
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            rest += chunk
        request_line = head.split(b"\r\n")[0].decode("latin-1")
        if a.log:
            with lock, open(a.log, "a") as f:
                line = " ".join(request_line.split(" ")[:2])
                if a.log_body:
                    line += " " + rest.decode("latin-1")
                f.write(line + "\n")
        if a.mode == "hang":
            time.sleep(3600)
            return
        if a.mode == "slow":
            time.sleep(a.delay)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
            + body
        )
    except OSError:
        pass
    finally:
        if a.mode != "hang":
            conn.close()


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(128)
print("READY port=%d pid=%d" % (s.getsockname()[1], os.getpid()), flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
