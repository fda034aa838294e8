"""Breakdown of `perf script` output (stdin) for bench/profile-ingest.sh. Each sample goes to the part of the
frame nearest its leaf that matches one, the parts tried in the order listed: so the kernel's fdatasync is
"fsync", a GC started by an allocation is "runtime: GC", and a frame that matches nothing (libc, the kernel
under a socket call) is charged to the nearest caller that does. Samples matching no frame at all are
"other". Patterns are substrings of perf's frame text (managed names come from the runtime's perf map)."""
import collections
import sys

PARTS = [
    ("fsync: the WAL / PostgreSQL commit reaching the disk", ["fdatasync", "fsync", "WalFlush"]),
    ("runtime: GC (when libcoreclr's symbols resolve)", ["gc_heap", "WKS::", "SVR::", "GCHeap"]),
    ("thread pool: spinning, waiting, waking", ["LowLevelSpinWaiter", "LowLevelLifoSemaphore", "sched_yield", "PortableThreadPool"]),
    ("storage, native: SQLite b-tree and VDBE (libe_sqlite3)", ["libe_sqlite3"]),
    ("storage, managed: binding and statements (Microsoft.Data.Sqlite, SQLitePCL, Npgsql)", ["Microsoft.Data.Sqlite", "SQLitePCL", "Npgsql"]),
    ("storage, Candor: group sums, dedupe, commitments", ["SqliteIngest", "SqliteCellUpserts", "PostgresIngest", "GroupDelta", "CommitmentDedupe", "SqliteDatabase", "PostgresDatabase"]),
    ("queue hand-off: ingest queue, group commit loop", ["IngestQueue", "System.Threading.Channels"]),
    ("reading and validation: body, JSON, reports", ["ReportBatchReader", "ReportReader", "ReportValueReader", "BatchRules", "RequestBody", "IdempotencyFingerprint", "TokenRedemption"]),
    ("response: the 202 body", ["AcceptedResult", "AcceptedAnswer"]),
    ("ingest handler: the rest of PostReportsAsync", ["IngestEndpoints"]),
    ("routing, rate limiting, middleware", ["EndpointRouting", "DfaMatcher", "RateLimiting", "RateLimiter", "StatusCodePages", "ExceptionHandler", "RequestDelegateFactory", "HostingApplication", "Routing"]),
    ("HTTP: Kestrel, pipes, sockets, TCP", ["Kestrel", "Pipelines", "System.Net.Sockets", "tcp_", "sock_", "__send", "recv", "epoll", "ip_", "skb", "__x64_sys_write", "__x64_sys_read"]),
    ("runtime: JIT and libcoreclr (GC, stubs, type checks: its symbols are usually stripped)", ["libclrjit", "libcoreclr"]),
]
OTHER = "other: libc, kernel scheduling, unresolved"

def classify(frames):
    for frame in frames:  # leaf first
        for name, patterns in PARTS:
            if any(p in frame for p in patterns):
                return name
    return OTHER

def main():
    counts, total, frames = collections.Counter(), 0, []
    for line in sys.stdin:
        if not line.strip():
            if frames:
                total += 1
                counts[classify(frames)] += 1
            frames = []
        elif line[0] in " \t":
            frames.append(line.strip())
    if frames:
        total += 1
        counts[classify(frames)] += 1
    print(f"{total} samples")
    print("| part | share of collector samples |")
    print("|---|---|")
    for name, _ in PARTS + [(OTHER, None)]:
        if counts[name]:
            print(f"| {name} | {100 * counts[name] / max(total, 1):.1f} % |")

main()
