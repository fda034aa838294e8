using Candor.Registry;

namespace Candor.Tests.Registry;

/// <summary>The "what we collect and why" page generated from a registry.</summary>
public class RegistryDocsTests
{
    private static MetricRegistry Example { get; } =
        RegistryParser.ParseFile(Path.Combine(AppContext.BaseDirectory, "registries", "desktop-editor.yaml"));

    [Fact]
    public void Docs_contain_each_metric_with_its_description_and_purpose()
    {
        var markdown = RegistryDocs.ToMarkdown(Example);

        Assert.All(Example.Metrics, m =>
        {
            Assert.Contains($"### `{m.Name}`", markdown);
            Assert.Contains(m.Purpose, markdown);
            Assert.Contains(m.Description, markdown);
        });
    }

    [Fact]
    public void Docs_start_with_the_app_the_version_consent_and_aggregation()
    {
        var markdown = RegistryDocs.ToMarkdown(Example);

        Assert.StartsWith("# What org.example.editor collects and why\n", markdown);
        Assert.Contains("version 3", markdown);
        Assert.Contains("unless you agree", markdown);
        Assert.Contains("only in aggregate", markdown);
    }

    [Fact]
    public void Docs_group_metrics_under_their_category_with_its_description()
    {
        var markdown = RegistryDocs.ToMarkdown(Example);

        var usage = markdown.IndexOf("## usage: How often the editor and its features are used.", StringComparison.Ordinal);
        var performance = markdown.IndexOf("## performance: ", StringComparison.Ordinal);
        var launches = markdown.IndexOf("### `app.launches`", StringComparison.Ordinal);
        Assert.True(usage >= 0 && usage < launches && launches < performance);
        Assert.Contains("## activity: Whether the application was used on a day", markdown);
    }

    [Fact]
    public void Docs_describe_values_in_words()
    {
        var markdown = RegistryDocs.ToMarkdown(Example);

        Assert.Contains("a range: 1, 2–4, 5–9, 10–19, 20–49, 50–99, 100 or more", markdown);
        Assert.Contains("the order of magnitude, round(log10(x))", markdown);
        Assert.Contains("one of: `linux`, `windows`, `macos`, `other`", markdown);
        Assert.Contains("a count for each range: 0–99, 100–249", markdown);
        Assert.Contains("per ISO week", markdown);
        Assert.Contains("per day", markdown);
        Assert.Contains("**Expires:** never", markdown);
        Assert.Contains("**Expires:** 2027-12-31", markdown);
        Assert.Contains("epsilon = 2", markdown);
    }

    [Fact]
    public void Buckets_read_as_ranges_ending_in_or_more()
    {
        Assert.Equal("1, 2–4, 5–9, 10 or more", RegistryDocs.RangesInWords([1, 2, 5, 10]));
        Assert.Equal("0, 1, 2 or more", RegistryDocs.RangesInWords([0, 1, 2]));
        Assert.Equal("7 or more", RegistryDocs.RangesInWords([7]));
    }

    [Fact]
    public void Docs_mention_the_builtin_active_flag()
    {
        var markdown = RegistryDocs.ToMarkdown(Example);

        Assert.Contains("### `candor.active` (built into Candor)", markdown);
        Assert.Contains("Count active installations per day without any identifier.", markdown);
    }

    [Fact]
    public void Docs_are_deterministic_and_use_unix_newlines()
    {
        var first = RegistryDocs.ToMarkdown(Example);
        var second = RegistryDocs.ToMarkdown(RegistryParser.Parse(Example.SourceText!, "again.yaml"));

        Assert.Equal(first, second);
        Assert.DoesNotContain("\r", first);
    }

    [Fact]
    public void Markdown_in_registry_text_is_escaped()
    {
        var yaml = """
            app: org.example.editor
            version: 1
            categories:
              usage: { description: "Use <b>of</b> *features*" }
            metrics:
              app.launches:
                type: counter
                category: usage
                period: week
                buckets: [1]
                description: "Line one\nline [two](http://x)"
                purpose: Because.
                expires: never
            """;

        var markdown = RegistryDocs.ToMarkdown(RegistryParser.Parse(yaml, "x.yaml"));

        Assert.Contains(@"Use \<b\>of\</b\> \*features\*", markdown);
        Assert.Contains(@"Line one line \[two\](http://x)", markdown);
    }
}
