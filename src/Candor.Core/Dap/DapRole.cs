namespace Candor.Dap;

/// <summary>The DAP roles; their byte values go into the HPKE info strings.</summary>
internal enum DapRole : byte
{
    Collector = 0,
    Client = 1,
    Leader = 2,
    Helper = 3,
}
