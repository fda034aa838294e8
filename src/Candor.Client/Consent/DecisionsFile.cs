using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Candor.Client.Consent;

/// <summary>
/// A small file (<c>decisions.bin</c> in the data directory) that keeps the user's decisions a full disk
/// kept from being saved: without it, a "no", a switch-off or an erase given on a full disk held only in
/// memory, and if the app exited before space returned the old answer came back at the next start.
/// Saving <c>consent.json</c> needs a new file (written, then renamed) and erasing needs room in SQLite's
/// write-ahead log; this file is written with zeros while the disk has room and afterwards only
/// overwritten in place, which needs no free space on ext4, XFS or tmpfs.
/// </summary>
/// <remarks>
/// Two slots, each a header (magic, sequence number, length, SHA-256) and a payload: a write goes to the
/// slot not holding the newest, so a write torn by a crash or a power cut leaves the previous decision
/// readable. Residual risk: a copy-on-write filesystem (btrfs, ZFS) needs free space even to overwrite,
/// and a store first created on a full disk has no such file; the decision then holds in memory only.
/// </remarks>
internal sealed class DecisionsFile
{
    public const string FileName = "decisions.bin";
    private const int HeaderSize = 4 + 8 + 4 + 32;
    private static readonly byte[] Magic = "CDC1"u8.ToArray();

    private readonly string _path;
    private long _sequence;
    private int _newestSlot = -1;

    /// <summary>Opens the file and reads the newest decision in it (nothing is written until <see cref="Prepare"/>).</summary>
    public DecisionsFile(string dataDirectory)
    {
        _path = Path.Combine(dataDirectory, FileName);
        Payload = ReadNewest();
    }

    /// <summary>
    /// While nothing is owed: creates the file, or grows it, to <paramref name="slotSize"/> bytes per slot
    /// (it fails quietly on a full disk) and writes <paramref name="nothingOwed"/>. Never called while a
    /// decision is kept in the file: growing moves the slots.
    /// </summary>
    public void Prepare(int slotSize, byte[] nothingOwed)
    {
        if (Length < 2L * slotSize)
        {
            if (!Grow(2L * slotSize))
                return;
        }
        else if (Payload is not null)
            return; // already says so: no write at every start
        // Also over whatever an earlier layout left at the new slots' places: a newer sequence number wins.
        TryWrite(nothingOwed);
    }

    /// <summary>The newest decision found when the file was opened, or null when there was none.</summary>
    public byte[]? Payload { get; }

    /// <summary>The largest payload a write can hold (0 when the file could not be created).</summary>
    public int Capacity => (int)Math.Max(0, Length / 2 - HeaderSize);

    private long Length => File.Exists(_path) ? new FileInfo(_path).Length : 0;

    /// <summary>
    /// Overwrites the older slot in place with <paramref name="payload"/> and flushes it to the disk. Throws
    /// <see cref="IOException"/> when the file is missing or too small, or the disk refuses the write.
    /// </summary>
    public void Write(ReadOnlySpan<byte> payload)
    {
        using var file = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        long slotSize = file.Length / 2;
        if (HeaderSize + payload.Length > slotSize)
            throw new IOException($"The decision ({payload.Length} bytes) does not fit the {FileName} slot of {slotSize} bytes.");
        int slot = _newestSlot == 0 ? 1 : 0;
        var block = new byte[HeaderSize + payload.Length];
        Magic.CopyTo(block, 0);
        BinaryPrimitives.WriteInt64LittleEndian(block.AsSpan(4), _sequence + 1);
        BinaryPrimitives.WriteInt32LittleEndian(block.AsSpan(12), payload.Length);
        SHA256.HashData(payload, block.AsSpan(16, 32));
        payload.CopyTo(block.AsSpan(HeaderSize));
        file.Position = slot * slotSize;
        file.Write(block);
        file.Flush(flushToDisk: true);
        _sequence++;
        _newestSlot = slot;
    }

    private bool TryWrite(byte[] payload)
    {
        try
        {
            Write(payload);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private byte[]? ReadNewest()
    {
        byte[] all;
        try
        {
            if (!File.Exists(_path))
                return null;
            all = File.ReadAllBytes(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        int slotSize = all.Length / 2;
        byte[]? newest = null;
        for (int slot = 0; slot < 2 && slotSize > HeaderSize; slot++)
        {
            var block = all.AsSpan(slot * slotSize, slotSize);
            if (!block[..4].SequenceEqual(Magic))
                continue;
            long sequence = BinaryPrimitives.ReadInt64LittleEndian(block[4..]);
            int length = BinaryPrimitives.ReadInt32LittleEndian(block[12..]);
            // A torn or damaged slot fails its hash and is ignored: the other holds the previous decision.
            if (length < 0 || length > slotSize - HeaderSize || sequence <= _sequence && newest is not null
                || !SHA256.HashData(block.Slice(HeaderSize, length)).AsSpan().SequenceEqual(block.Slice(16, 32)))
                continue;
            (_sequence, _newestSlot, newest) = (sequence, slot, block.Slice(HeaderSize, length).ToArray());
        }
        return newest;
    }

    /// <summary>Appends zeros up to <paramref name="length"/> (real blocks, not a sparse file, so later overwrites need no space); undone when the disk is full.</summary>
    private bool Grow(long length)
    {
        long before = Length;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            using var file = new FileStream(_path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
            file.Position = before;
            file.Write(new byte[length - before]);
            file.Flush(flushToDisk: true);
            _newestSlot = -1; // the slots are the halves of the file: both moved
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                // Truncating needs no space; the first `before` bytes, and so the old slots, are as they were.
                if (before == 0)
                    File.Delete(_path);
                else
                    using (var file = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
                        file.SetLength(before);
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
                // Nothing more to undo: a decision then holds in memory only, as before this file existed.
            }
            return false;
        }
    }
}
