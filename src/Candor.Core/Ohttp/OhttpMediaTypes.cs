namespace Candor.Ohttp;

/// <summary>The media types of RFC 9458 (section 9) and RFC 9292.</summary>
internal static class OhttpMediaTypes
{
    public const string Request = "message/ohttp-req";
    public const string Response = "message/ohttp-res";
    public const string Keys = "application/ohttp-keys";
    public const string BinaryHttp = "message/bhttp";
}
