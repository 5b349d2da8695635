#!/usr/bin/env bash
# Oversized and malformed requests against slothd's telemetry port, each on its own connection:
# a megabyte of headers, a 64 KiB URL, 10,000 headers, a body announced as 1 GiB, a chunked body,
# 1,000 pipelined requests, binary garbage, HTTP/0.9, unknown methods, request smuggling, and 200
# clients that ask for /metrics and never read. Passes when each gets the answer it should (or
# the connection is closed) within 5 s, none gets a server error, /health answers after each, and
# the daemon's memory comes back. LONG=1: every case 50 times.
source "$(dirname "$0")/lib.sh"
start_slothd abuse ""
rss_before=$(rss_mib "$PID")
rounds=1
[[ $LONG == 1 ]] && rounds=50
/usr/bin/python3 - "$PORT" "$rounds" >"$W/abuse.out" <<'PY' || fail "an abusive request was not handled as it should be (see above)"
import socket, sys, time
port, rounds = int(sys.argv[1]), int(sys.argv[2])
failures = 0

def exchange(data, read_all=True, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(timeout)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before taking everything: allowed
    out = b""
    start = time.time()
    try:
        while time.time() - start < timeout:
            d = s.recv(65536)
            if not d:
                break
            out += d
            if not read_all:
                break
    except ConnectionResetError:
        pass
    except socket.timeout:
        return out, "timeout"
    finally:
        s.close()
    return out, "closed"

def status(answer):
    return answer[9:12].decode() if answer.startswith(b"HTTP/1.") else "close"

def health_ok():
    answer, _ = exchange(b"GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    return answer.startswith(b"HTTP/1.1 200")

def case(name, data, allowed, read_all=True):
    global failures
    answer, how = exchange(data, read_all)
    got = status(answer)
    ok = how != "timeout" and got in allowed
    if not health_ok():
        ok = False
        got += ", then /health failed"
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {got} ({len(data)} bytes sent)")
    if not ok:
        failures += 1

get = b"GET /metrics HTTP/1.1\r\nHost: a\r\n"
for _ in range(rounds):
    case("1 MiB of headers", get + b"X-Big: " + b"a" * (1 << 20) + b"\r\n\r\n", {"431", "close"})
    case("64 KiB URL", b"GET /" + b"a" * 65536 + b" HTTP/1.1\r\nHost: a\r\n\r\n", {"414", "431", "close"})
    case("10,000 headers", get + b"".join(b"X-%d: 1\r\n" % i for i in range(10000)) + b"\r\n", {"431", "close"})
    case("body announced as 1 GiB", b"POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 1073741824\r\n\r\nxx",
         {"413"}, read_all=False)
    case("chunked body", b"POST /metrics HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
         {"413"})
    case("1,000 pipelined requests", b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n" * 999 +
         b"GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", {"200"})
    case("64 KiB of binary garbage", bytes(range(256)) * 256, {"400", "close"})
    case("NUL in the request line", b"GET /met\x00rics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", {"400", "404", "close"})
    case("HTTP/0.9", b"GET /metrics\r\n\r\n", {"400", "close"})
    case("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", {"400", "404", "405", "505", "close"})
    case("unknown method", b"BREW /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", {"405"})
    case("no Host in HTTP/1.1", b"GET /metrics HTTP/1.1\r\n\r\n", {"400"})
    case("conflicting Content-Length", b"GET /health HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\nhello",
         {"400"})
    case("header without a colon", get + b"Nonsense\r\n\r\n", {"400", "close"})
    case("bare LF line ends", b"GET /health HTTP/1.1\nHost: a\nConnection: close\n\n", {"200", "400", "close"})

# Clients that ask for the whole /metrics and never read it: the server must not wait on them.
# From their own addresses (16 each, the per-address limit), or they would only fill 127.0.0.1's.
idle = []
for i in range(200):
    s = socket.create_connection(("127.0.0.1", port), source_address=(f"127.0.3.{i // 16 + 1}", 0))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n" * 20)
    idle.append(s)
ok = health_ok()
print(f"{'ok  ' if ok else 'FAIL'} 200 clients that never read 20 /metrics answers each: /health {'answered' if ok else 'NOT answered'}")
failures += 0 if ok else 1
for s in idle:
    s.close()
print(f"failures: {failures}")
sys.exit(1 if failures else 0)
PY
cat "$W/abuse.out"
figure "http abuse: $(grep -c '^ok' "$W/abuse.out") cases answered as they should, $(grep -c '^FAIL' "$W/abuse.out") not; slothd resident memory ${rss_before} MiB before, $(rss_mib "$PID") MiB after"
stop_slothd
finish
