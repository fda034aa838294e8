namespace Candor.Registry.Events;

/// <summary>
/// The grammar of GVariant type strings (<c>s</c>, <c>u</c>, <c>(uu)</c>, <c>a{ss}</c> ...): what an
/// event mapping may name as a payload type. Shared by the agent (payloads over D-Bus) and the collector
/// (payloads in Azafea uploads), so that one mapping file means the same on both sides.
/// </summary>
internal static class GVariantTypeString
{
    private const string Basic = "ybnqiuxtdsogh";

    /// <summary>Whether <paramref name="type"/> is exactly one complete GVariant type.</summary>
    public static bool IsValid(string type)
    {
        int i = 0;
        return type.Length > 0 && Complete(type, ref i) && i == type.Length;
    }

    /// <summary>The member types of a tuple type such as <c>(us)</c>, or null if it is not a tuple.</summary>
    public static IReadOnlyList<string>? TupleMembers(string type)
    {
        if (!IsValid(type) || type[0] != '(')
            return null;
        var members = new List<string>();
        int i = 1;
        while (type[i] != ')')
        {
            int start = i;
            Complete(type, ref i);
            members.Add(type[start..i]);
        }
        return members;
    }

    /// <summary>Advances <paramref name="i"/> past one complete type starting at it; false if there is none.
    /// No maybe types (<c>m</c>): D-Bus cannot carry them, so a mapping naming one could never match on the agent.</summary>
    public static bool Complete(string t, ref int i)
    {
        if (i >= t.Length)
            return false;
        char c = t[i++];
        if (Basic.Contains(c) || c == 'v')
            return true;
        if (c == 'a')
        {
            if (i < t.Length && t[i] == '{')
            {
                i++;
                if (i >= t.Length || !Basic.Contains(t[i++]))
                    return false;
                return Complete(t, ref i) && i < t.Length && t[i++] == '}';
            }
            return Complete(t, ref i);
        }
        if (c == '(')
        {
            while (i < t.Length && t[i] != ')')
                if (!Complete(t, ref i))
                    return false;
            return i < t.Length && t[i++] == ')';
        }
        return false;
    }
}
