#!/usr/bin/env bash
# Faults of the machine under a running slothd, each undone without restarting it: the state
# directory full, then read-only (a 2 MiB tmpfs in slothd's own mount namespace, so the host is
# untouched), and the open-file limit exhausted (slothd under a hard limit of 200). Passes when
# /health (and slothctl agent health) says what is wrong while it is, the log says it clearly,
# slothd does not spin, and everything answers again once the fault is gone.
# A wall-clock jump is clock_test.sh's.
source "$(dirname "$0")/lib.sh"
ctl() { "$SLOTHCTL" --socket "$SOCK" "$@"; }
in_ns() { nsenter -t "$PID" -m -- "$@"; }
expect_health() {  # CODE TEXT WHAT
  local got
  got=$(health)
  [[ $got == "$1 "*"$2"* ]] || fail "$3: /health said '$got', expected $1 with '$2'"
}

# The state directory on a 2 MiB tmpfs of slothd's own.
state=$W/fault-state
mkdir -p "$state"
start_slothd fault "" unshare --mount --propagation private -- \
  bash -c 'mount -t tmpfs -o size=2m tmpfs "$0" && exec "$@"' "$state"
expect_health 200 OK "before any fault"
in_ns dd if=/dev/zero of="$state/fill" bs=64k 2>/dev/null || true  # until the file system is full
expect_health 503 "state directory $state is full" "state directory full"
health_text=$(ctl agent health local 2>&1 || true)
[[ $health_text == *"is full"* ]] || fail "slothctl agent health while full: $health_text"
full_health=$(health)
in_ns rm -f "$state/fill"
expect_health 200 OK "after freeing the space"
in_ns mount -o remount,ro "$state"
expect_health 503 "state directory $state is not writable: Read-only file system" "state directory read-only"
ro_health=$(health)
ctl agent run local 'echo tasks still run' >/dev/null || fail "a task while the state directory is read-only"
in_ns mount -o remount,rw "$state"
expect_health 200 OK "after remounting read-write"
figure "state directory full: /health '${full_health}'; read-only: '${ro_health}'; both back to 200 without a restart"
stop_slothd

# The open-file limit: a hard 200 that slothd cannot raise.
start_slothd nofile "" prlimit --nofile=200:200 --
grep -q "the open-file limit is 200, below the" "$LOG" || fail "slothd did not warn that its open-file limit is too low"
ctl agent info local >/dev/null || fail "slothctl before the exhaustion"
cpu_before=$(cpu_seconds "$PID")
/usr/bin/python3 - "$PORT" "$SOCK" "$SLOTHCTL" >"$W/nofile.out" 2>&1 <<'PY' || fail "the open-file limit exhaustion (see above)"
import socket, subprocess, sys, time
port, sock, slothctl = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def get(s, path):
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: a\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data: data += s.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
    while len(body) < length: body += s.recv(4096)
    return head.split(b" ")[1].decode(), body.decode().strip()
keep = socket.create_connection(("127.0.0.1", port))  # opened before the exhaustion, kept alive
print("before:", *get(keep, "/health"))
held = []
for i in range(400):  # from 25 addresses, 16 each: the per-address limit is not what stops them
    try:
        held.append(socket.create_connection(("127.0.0.1", port), source_address=(f"127.0.4.{i // 16 + 1}", 0), timeout=1))
    except OSError:
        break
deadline = time.time() + 10
while True:  # until slothd has accepted what it can and says so
    code, text = get(keep, "/health")
    if code == "503" or time.time() > deadline: break
    time.sleep(0.1)
print("exhausted:", code, text)
ctl = subprocess.run([slothctl, "--socket", sock, "--timeout", "3s", "agent", "info", "local"], capture_output=True, text=True)
print("slothctl while exhausted: exit", ctl.returncode, ctl.stderr.strip()[:160])
time.sleep(2)  # out of descriptors for a while: does it spin meanwhile? (CPU measured outside)
for s in held: s.close()
deadline = time.time() + 10
while True:  # until a fresh connection is served healthy again
    try:
        after = get(socket.create_connection(("127.0.0.1", port), timeout=2), "/health")
    except OSError:
        after = ("none", "")
    if after[0] == "200" or time.time() > deadline: break
    time.sleep(0.1)
print("after:", *after)
ctl = subprocess.run([slothctl, "--socket", sock, "agent", "info", "local"], capture_output=True, text=True)
print("slothctl after: exit", ctl.returncode)
ok = code == "503" and "file descriptors nearly exhausted" in text and after[0] == "200" and ctl.returncode == 0
sys.exit(0 if ok else 1)
PY
cat "$W/nofile.out"
cpu_used=$(echo "$(cpu_seconds "$PID") - $cpu_before" | bc)
grep -q "control socket: cannot accept connections: Too many open files" "$LOG" ||
  fail "the log does not say that the control socket is out of descriptors"
grep -q "control socket: accepting connections again" "$LOG" || fail "the log does not say when accepting resumed"
awk -v c="$cpu_used" 'BEGIN { exit !(c < 3.0) }' || fail "slothd used ${cpu_used} s of CPU in ~4 s out of descriptors: it spins"
figure "open-file limit exhausted (hard limit 200): $(grep '^exhausted' "$W/nofile.out"); $(grep -c 'cannot accept' "$LOG") log line(s) for the control socket; ${cpu_used} s CPU used over ~4 s; $(grep '^after' "$W/nofile.out")"
stop_slothd
finish
