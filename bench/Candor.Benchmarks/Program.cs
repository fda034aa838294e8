using BenchmarkDotNet.Running;

// "ohttp-requests": write freshly encapsulated requests for bench/run-ohttp.sh instead of running benchmarks.
if (args.Length > 0 && args[0] == "ohttp-requests")
    return OhttpRequestFile.Write(args[1..]);

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
