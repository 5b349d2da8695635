#!/usr/bin/env bash
# The control socket flooded: with garbage (2,000 connections sending random bytes), with idle
# connections from one member of the control group (300 held open), and with 1,000 connections
# from a user who may not use it. Passes when the garbage is dropped, a user gets no more than
# its share, idle connections are closed, the refused are told why and counted while the log
# stays readable, and root's slothctl is served throughout. LONG=1: ten times the connections.
source "$(dirname "$0")/lib.sh"
scale=1
[[ $LONG == 1 ]] && scale=10
ctl() { "$SLOTHCTL" --socket "$SOCK" "$@"; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# nogroup (gid 65534) is the control group: uid 65534 is a member, as an operator would be.
start_slothd flood $'[agent]\ncontrol_group = "nogroup"'
ctl agent info local >/dev/null || fail "slothctl before the flood"
fds_before=$(fds_of "$PID") rss_before=$(rss_mib "$PID")

# Garbage: random bytes on 2,000 connections, 100 at a time; every one must be closed by slothd.
/usr/bin/python3 - "$SOCK" $((2000 * scale)) >"$W/garbage.out" <<'PY' || fail "garbage connections were not all closed"
import os, socket, sys, time
path, total = sys.argv[1], int(sys.argv[2])
closed, start = 0, time.time()
for batch in range(0, total, 100):
    conns = []
    for _ in range(min(100, total - batch)):
        s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(10)
        try: s.sendall(os.urandom(4096))
        except OSError: pass
        conns.append(s)
    for s in conns:
        try:
            while s.recv(65536): pass
            closed += 1
        except ConnectionResetError: closed += 1
        except socket.timeout: pass
        s.close()
print(f"garbage: {closed} of {total} connections closed by slothd in {time.time() - start:.1f} s")
sys.exit(0 if closed == total else 1)
PY
cat "$W/garbage.out"
ctl agent info local >/dev/null || fail "slothctl after the garbage"

# Idle: one member of the control group holds 300 connections; only its share stays open, and
# root is still served; then slothd closes the idle ones.
as_nobody /usr/bin/python3 - "$SOCK" $((300 * scale)) >"$W/idle.out" 2>&1 <<'PY' &
import socket, sys, time
path, total = sys.argv[1], int(sys.argv[2])
held, refused = [], 0
for _ in range(total):
    # Admitted: the gRPC server speaks first (its HTTP/2 SETTINGS). Refused: slothd's line.
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(5)
    if s.recv(200).startswith(b"slothd: refused: too many control connections for uid 65534"):
        refused += 1
        s.close()
    else:
        held.append(s)
print(f"idle: {len(held)} connections held open, {refused} refused as over the uid's limit", flush=True)
start = time.time()
for s in held: s.settimeout(60)
closed = 0
for s in held:
    try:
        while s.recv(200): pass
    except (ConnectionResetError, socket.timeout): pass
    closed += 1
print(f"idle: all {closed} closed by slothd within {time.time() - start:.1f} s of being opened", flush=True)
PY
idle_pid=$!
for _ in $(seq 100); do grep -q "held open" "$W/idle.out" 2>/dev/null && break; sleep 0.1; done
ctl agent info local >/dev/null || fail "root's slothctl while one user holds its connections"
wait "$idle_pid" || fail "the idle connections"
cat "$W/idle.out"
grep -q "^idle: 64 connections held open" "$W/idle.out" || fail "one uid must hold at most 64 connections"
grep -q "all 64 closed" "$W/idle.out" || fail "idle connections must be closed by slothd"

# Refused: a user outside root, slothd's user and the group, 1,000 times.
start_slothd refuse $'[agent]\ncontrol_group = ""'
chmod 666 "$SOCK"  # as if opened up by hand: the credentials still decide
as_nobody /usr/bin/python3 - "$SOCK" $((1000 * scale)) >"$W/refused.out" <<'PY' || fail "a caller without permission got in"
import socket, sys
path, total = sys.argv[1], int(sys.argv[2])
told = 0
for _ in range(total):
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(5)
    if s.recv(300).startswith(b"slothd: refused: uid 65534 is neither root nor slothd's user"): told += 1
    s.close()
print(f"refused: {told} of {total} connections told why and closed")
sys.exit(0 if told == total else 1)
PY
cat "$W/refused.out"
refused_lines=$(grep -c "control socket: refused uid 65534" "$LOG" || true)
counted=$(metric 'sloth_errors_total{type="control_refused"}')
[[ $counted == $((1000 * scale)) ]] || fail "sloth_errors_total{type=\"control_refused\"} is $counted"
[[ $refused_lines -le 20 ]] || fail "$refused_lines log lines for the refusals: the log must stay readable"
ctl agent info local >/dev/null || fail "root's slothctl after the refusals"

figure "control flood: $(cat "$W/garbage.out"); $(tr '\n' ' ' <"$W/idle.out"); $(cat "$W/refused.out"), counted $counted, $refused_lines log lines"
figure "control flood: slothd (first) ${fds_before} descriptors and ${rss_before} MiB before the floods"
stop_slothd
finish
