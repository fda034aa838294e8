using BenchmarkDotNet.Running;

// `mint-tokens <key folder> <count> <output file>`: valid Privacy Pass tokens for the ingest benchmark
// (bench/run-ingest-tokens.sh); everything else goes to BenchmarkDotNet.
if (args is ["mint-tokens", var keys, var count, var output])
{
    Candor.Benchmarks.TokenMint.Write(keys, int.Parse(count), output);
    return 0;
}

// `fill-log <sqlite file> <leaves> [--full]`: a transparency log written straight into the tables (bench/run-log-proofs.sh).
if (args is ["fill-log", var logPath, var leafCount, ..] rest)
    return Candor.Benchmarks.LogFill.Run(logPath, long.Parse(leafCount), rest.Contains("--full"));

// `dap-load <task folder> <reports> <connections> [leader pid] [helper pid]`: upload and aggregate DAP reports (bench/run-dap.sh).
if (args is ["dap-load", ..])
    return await Candor.Benchmarks.DapLoad.RunAsync(args[1..]);

if (args is ["dap-profile", var profileFolder, var profileCount])
    return Candor.Benchmarks.DapProfile.Run([profileFolder, profileCount]);

// "ohttp-requests": write freshly encapsulated requests for bench/run-ohttp.sh instead of running benchmarks.
if (args.Length > 0 && args[0] == "ohttp-requests")
    return OhttpRequestFile.Write(args[1..]);

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
