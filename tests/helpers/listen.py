"""A real TCP listener for gauth's tests, in the shapes that hide holders.

Prints one line `READY port=P pid=N` (N: the pid that holds the socket) when
listening, then sleeps until killed. Options:
  --addr A        bind address (127.0.0.1, ::1, ::, 0.0.0.0)
  --port P        port (0: any free one)
  --reuseport     set SO_REUSEPORT (run twice on one port: two owners)
  --reuseaddr     set SO_REUSEADDR (as libuv/httpuv do)
  --fork-orphan   fork; the parent exits at once, the child keeps the socket
  --ignore-term   ignore SIGTERM (only SIGKILL ends it)
  --close-on-term on SIGTERM close the listener and keep running (a graceful
                  shutdown that outlives the port)
  --rebind-after S  with --close-on-term: S seconds after closing, bind the
                  port again (same process, new socket)
  --exec-on-file F  once file F exists, exec `sleep 3600`, which inherits the
                  listening socket: the same pid and start time, another
                  program
  --exec-on-term  on SIGTERM exec `sleep 3600`, which inherits the listening
                  socket
  --pthread-exit  the main thread exits with pthread_exit while another
                  thread lives: the process shows as a zombie leader whose
                  socket is only under /proc/PID/task/TID/fd
  --in-flight     send the listening socket through a Unix socket pair and
                  close it: it keeps listening, but no process has it open
  --time-wait     accept one connection, close it first (TIME_WAIT on the
                  server side), close the listener, print READY and wait
  --relisten-on-term  on SIGTERM close the listener and bind the port again
                  at once (same process, new socket)
  --fork-on-term  on SIGTERM fork a child that binds the port again (with
                  SO_REUSEADDR), then exit once the child listens: a
                  replacement under a new pid
  --connection S  accept one connection from itself, then close the
                  listener: only the accepted socket keeps the port, in
                  state S: established (the client stays open) or
                  close_wait (the client closes first)
  --spawn CMD     after READY, run CMD with bash (PORT set in its
                  environment; stdout shared) and wait for it: a chain
                  listener -> bash -> CMD
  --comm HEX      set the process name (/proc/PID/comm) to these bytes, given
                  in hex (the kernel keeps the first 15): names that are not
                  UTF-8 or carry escape sequences
"""
import argparse, ctypes, os, signal, socket, subprocess, sys, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--addr", default="127.0.0.1")
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--reuseport", action="store_true")
ap.add_argument("--reuseaddr", action="store_true")
ap.add_argument("--fork-orphan", action="store_true")
ap.add_argument("--ignore-term", action="store_true")
ap.add_argument("--close-on-term", action="store_true")
ap.add_argument("--rebind-after", type=float)
ap.add_argument("--exec-on-file")
ap.add_argument("--exec-on-term", action="store_true")
ap.add_argument("--pthread-exit", action="store_true")
ap.add_argument("--time-wait", action="store_true")
ap.add_argument("--in-flight", action="store_true")
ap.add_argument("--relisten-on-term", action="store_true")
ap.add_argument("--fork-on-term", action="store_true")
ap.add_argument("--connection", choices=["established", "close_wait"])
ap.add_argument("--spawn")
ap.add_argument("--comm")
ap.add_argument("tags", nargs="*", help="extra words for the command line")
a = ap.parse_args()

if a.comm is not None:
    with open("/proc/self/comm", "wb") as f:
        f.write(bytes.fromhex(a.comm))

fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
if a.reuseaddr:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if a.reuseport:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
if a.addr == "::":
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind((a.addr, a.port))
s.listen(16)
port = s.getsockname()[1]

if a.time_wait:
    c = socket.create_connection(("127.0.0.1" if fam == socket.AF_INET else "::1", port))
    conn, _ = s.accept()
    conn.close()          # active close on the server side: TIME_WAIT on PORT
    time.sleep(0.2)
    c.close()
    s.close()
    print(f"READY port={port} pid={os.getpid()}", flush=True)
    time.sleep(3600)
    sys.exit(0)

if a.in_flight:
    s1, s2 = socket.socketpair(socket.AF_UNIX)
    socket.send_fds(s1, [b"x"], [s.fileno()])
    s.close()             # now only the unread message holds the listener
    print(f"READY port={port} pid={os.getpid()}", flush=True)
    time.sleep(3600)
    sys.exit(0)

if a.connection:
    c = socket.create_connection(("127.0.0.1" if fam == socket.AF_INET else "::1", port))
    conn, _ = s.accept()
    s.close()             # only the accepted (server-side) socket is on PORT now
    if a.connection == "close_wait":
        c.close()         # the peer's FIN: the accepted socket is in CLOSE_WAIT
        while not any(
            l.split()[1].endswith(f":{port:04X}") and l.split()[3] == "08"
            for f in ("/proc/net/tcp", "/proc/net/tcp6") if os.path.exists(f)
            for l in open(f).readlines()[1:]
        ):
            time.sleep(0.005)
    print(f"READY port={port} pid={os.getpid()}", flush=True)
    time.sleep(3600)
    sys.exit(0)

def rebind():
    n = socket.socket(fam, socket.SOCK_STREAM)
    n.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    n.bind((a.addr, port))
    n.listen(16)
    return n

if a.relisten_on_term:
    def relisten(*_):
        global s
        s.close()
        s = rebind()
    signal.signal(signal.SIGTERM, relisten)

if a.fork_on_term:
    def replace(*_):
        s.close()
        r, w = os.pipe()
        if os.fork() == 0:
            n = rebind()
            os.write(w, b"x")
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            devnull = os.open(os.devnull, os.O_RDWR)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            time.sleep(3600)
            os._exit(0)
        os.read(r, 1)     # the replacement listens: now leave
        os._exit(0)
    signal.signal(signal.SIGTERM, replace)

def become_sleep(*_):
    os.set_inheritable(s.fileno(), True)
    os.execv("/bin/sleep", ["sleep", "3600"])

if a.exec_on_file is not None:
    def watch():
        while not os.path.exists(a.exec_on_file):
            time.sleep(0.01)
        become_sleep()
    threading.Thread(target=watch, daemon=True).start()

if a.exec_on_term:
    signal.signal(signal.SIGTERM, become_sleep)

if a.ignore_term:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if a.close_on_term:
    def close(*_):
        global s
        s.close()
        if a.rebind_after is not None:
            def again():
                global s
                s = rebind()
            threading.Timer(a.rebind_after, again).start()
    signal.signal(signal.SIGTERM, close)

if a.fork_orphan:
    parent = os.getpid()
    if os.fork() > 0:
        os._exit(0)       # the parent leaves; the child is orphaned with the socket
    # READY only once the parent is really gone, so tests never race it.
    while os.getppid() == parent:
        time.sleep(0.005)
    print(f"READY port={port} pid={os.getpid()}", flush=True)
    # stdout is the test's pipe: let go of it.
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    time.sleep(3600)
    os._exit(0)

if a.pthread_exit:
    def survivor():
        # READY only once the leader really is a zombie, so tests never race
        # the pthread_exit below.
        while open("/proc/self/stat").read().rsplit(")", 1)[1].split()[0] != "Z":
            time.sleep(0.005)
        print(f"READY port={port} pid={os.getpid()}", flush=True)
        time.sleep(3600)
    threading.Thread(target=survivor, daemon=False).start()
    ctypes.CDLL(None).pthread_exit(None)

print(f"READY port={port} pid={os.getpid()}", flush=True)

if a.spawn is not None:
    subprocess.run(["bash", "-c", a.spawn], env=dict(os.environ, PORT=str(port)))

time.sleep(3600)
