"""Breakdown of `perf script` output (stdin) for bench/profile-ohttp.sh: each sample goes to the first part,
in the order listed, whose name patterns appear anywhere in its stack (async continuations run on the
stack of whatever completed them, so the order puts the more specific parts first).
OpenSSL's libcrypto has no frame pointers, so its samples lose their managed callers: it is a part of
its own, and every libcrypto sample is the gateway's HPKE work (the collector does no TLS here)."""
import collections
import sys

PARTS = {
    "gateway": [
        ("HPKE: X25519, HKDF, AES-GCM (libcrypto, .NET crypto, Candor.Hpke)",
         ["libcrypto", "Cryptography", "Candor.Hpke", "OhttpGatewayKey", "SealResponse", "ObliviousRequest"]),
        ("thread pool: spinning, waiting, waking", ["LowLevelSpinWaiter", "LowLevelLifoSemaphore", "__sched_yield"]),
        ("storing: ingest queue, SQLite, group commit", ["sqlite", "Sqlite", "IngestQueue", "AppendGroup"]),
        ("ingest handler: body, JSON, validation, answer", ["IngestEndpoints", "ReportBatchReader", "RequestBody", "TokenRedemption", "AcceptedResult"]),
        ("in-process dispatch: inner context, routing, middleware",
         ["InProcessDispatcher", "EndpointRouting", "DfaMatcher", "RateLimiting", "StatusCodePages", "ExceptionHandler", "HeadRequests", "RequestDelegateFactory"]),
        ("gateway endpoint: body, Binary HTTP, sealed answer", ["GatewayEndpoints", "BinaryHttp", "FileContentHttpResult"]),
        ("Kestrel and sockets (the relay's connection)", ["Kestrel", "Pipelines", "System.Net.Sockets", "tcp_", "sock_", "__send", "recv", "epoll"]),
    ],
    "relay": [
        ("forward: HttpClient to the gateway, its sockets", ["System.Net.Http"]),
        ("gateway watch, metrics, held-request cap", ["GatewayWatch", "RelayMetrics", "Prometheus", "HeldRequestCap"]),
        ("routing, middleware, endpoint glue", ["EndpointRouting", "DfaMatcher", "StatusCodePages", "ExceptionHandler", "RequestDelegateFactory", "HostingApplication"]),
        ("Kestrel: the client's request and answer", ["Kestrel", "Pipelines"]),
        ("sockets and the kernel's TCP", ["System.Net.Sockets", "tcp_", "sock_", "__send", "recv", "epoll", "ip_", "skb"]),
        ("thread pool: spinning, waiting, waking", ["LowLevelSpinWaiter", "LowLevelLifoSemaphore", "__sched_yield", "futex", "schedule"]),
    ],
}

def main(side):
    parts = PARTS[side]
    counts, total, frames = collections.Counter(), 0, []

    def flush():
        nonlocal total
        if not frames:
            return
        total += 1
        stack = "\n".join(frames)
        counts[next((name for name, patterns in parts if any(p in stack for p in patterns)), "other: runtime, libc, kernel scheduling")] += 1

    for line in sys.stdin:
        if not line.strip():
            flush()
            frames = []
        elif line[0] in " \t":
            frames.append(line.strip())
    flush()
    print(f"{total} samples")
    for name, n in counts.most_common():
        print(f"{100 * n / max(total, 1):5.1f} %  {name}")

main(sys.argv[1] if len(sys.argv) > 1 else "gateway")
