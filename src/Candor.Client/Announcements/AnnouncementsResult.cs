using Candor.Announcements;

namespace Candor.Client.Announcements;

/// <summary>What a fetch produced: the verified document, the news meant for this installation, and the next upload time it set (null: none).</summary>
public sealed record AnnouncementsResult(AnnouncementDocument Document, IReadOnlyList<NewsItem> News, DateTimeOffset? NextReportAt);
