using Candor.Registry;
using static Candor.Tests.Registry.RegistryTestYaml;

namespace Candor.Tests.Registry;

/// <summary>The registry rules, one test per rule (docs/registry.md).</summary>
public class RegistryParserTests
{
    [Fact]
    public void A_valid_registry_parses_into_the_model_in_file_order()
    {
        var yaml = WithMetrics(Launches, SystemOs);

        var registry = RegistryParser.Parse(yaml, FileName);

        Assert.Equal("org.example.editor", registry.App);
        Assert.Equal(3, registry.Version);
        Assert.Equal(yaml, registry.SourceText);
        Assert.Equal(["usage", "system", "activity"], registry.Categories.Select(c => c.Name));
        Assert.Equal(["app.launches", "system.os", "candor.active", "candor.active_week"], registry.Metrics.Select(m => m.Name));

        var launches = registry.FindMetric("app.launches")!;
        Assert.Equal(MetricType.Counter, launches.Type);
        Assert.Equal("usage", launches.Category);
        Assert.Equal(MetricPeriod.Week, launches.Period);
        Assert.Equal(new long[] { 1, 2, 5, 10, 20, 50, 100 }, launches.Buckets.ToArray());
        Assert.Equal(new DateOnly(2027, 12, 31), launches.Expires);
        Assert.Equal(LineOf(yaml, "app.launches:"), launches.Line);
        Assert.False(launches.BuiltIn);

        var os = registry.FindMetric("system.os")!;
        Assert.Equal(new[] { "linux", "windows", "macos", "other" }, os.Values.ToArray());
        Assert.Null(os.Expires);
        Assert.Equal(LineOf(yaml, "system.os:"), os.Line);
    }

    [Fact]
    public void Every_registry_has_the_builtin_weekly_active_flag_for_weekly_actives()
    {
        var registry = RegistryParser.Parse(WithMetrics(Launches), FileName);
        var week = registry.FindMetric(MetricRegistry.ActiveWeekMetricName);
        Assert.NotNull(week);
        Assert.Equal((MetricType.Flag, MetricPeriod.Week, MetricRegistry.ActivityCategoryName, true), (week.Type, week.Period, week.Category, week.BuiltIn));
        Assert.Null(week.Expires);
        Assert.Equal("Count active installations per week without any identifier.", week.Purpose);
        Assert.Same(week, registry.Metrics[^1]);
    }

    [Fact]
    public void Every_registry_has_the_builtin_candor_active_flag()
    {
        var registry = RegistryParser.Parse(WithMetrics(Launches), FileName);

        var active = registry.FindMetric(MetricRegistry.ActiveMetricName);
        Assert.NotNull(active);
        Assert.Equal(MetricType.Flag, active.Type);
        Assert.Equal(MetricPeriod.Day, active.Period);
        Assert.Equal(MetricRegistry.ActivityCategoryName, active.Category);
        Assert.Null(active.Expires);
        Assert.True(active.BuiltIn);
        Assert.Equal("The application ran on this day (one report per day it ran).", active.Description);
        Assert.Equal("Count active installations per day without any identifier.", active.Purpose);
        Assert.Same(active, registry.Metrics[^2]);

        var activity = registry.FindCategory("activity");
        Assert.Equal(new CategoryDefinition("activity", "Whether the application was used on a day, to count active installations."), activity);
        Assert.Same(activity, registry.Categories[^1]);
    }

    [Fact]
    public void A_declared_activity_category_is_kept_as_declared_and_not_added_again()
    {
        var yaml = WithMetrics(Launches).Replace(
            "  usage: { description: How features are used }",
            "  activity: { description: Our own words about activity }\n  usage: { description: How features are used }");

        var registry = RegistryParser.Parse(yaml, FileName);

        Assert.Equal(["activity", "usage", "system"], registry.Categories.Select(c => c.Name));
        Assert.Equal("Our own words about activity", registry.FindCategory("activity")!.Description);
    }

    [Fact]
    public void Problem_prints_as_file_line_column_field_message()
    {
        var problem = new RegistryProblem("editor.yaml", 14, 5, "metrics.app.launches.buckets",
            "buckets must be strictly increasing (5 follows 10)");

        Assert.Equal("editor.yaml:14:5: metrics.app.launches.buckets: buckets must be strictly increasing (5 follows 10)",
            problem.ToString());
    }

    [Fact]
    public void Buckets_that_do_not_strictly_increase_are_rejected_with_line_and_field()
    {
        var yaml = WithMetrics(Launches.Replace("[1, 2, 5, 10, 20, 50, 100]", "[1, 2, 10, 5, 20]"));

        var problem = SingleProblemOf(yaml);

        Assert.Equal(FileName, problem.File);
        Assert.Equal(LineOf(yaml, "buckets:"), problem.Line);
        Assert.Equal(5, problem.Column);
        Assert.Equal("metrics.app.launches.buckets", problem.Field);
        Assert.Equal("buckets must be strictly increasing (5 follows 10)", problem.Message);
    }

    [Fact]
    public void Repeated_bucket_bounds_are_not_strictly_increasing()
    {
        var problem = SingleProblemOf(WithMetrics(Launches.Replace("[1, 2, 5, 10, 20, 50, 100]", "[1, 2, 2]")));

        Assert.Equal("buckets must be strictly increasing (2 follows 2)", problem.Message);
    }

    [Theory]
    [InlineData("[]", "metrics.app.launches.buckets", "at least one")]
    [InlineData("[1, -2]", "metrics.app.launches.buckets[1]", "negative")]
    [InlineData("[1, 2.5]", "metrics.app.launches.buckets[1]", "whole numbers")]
    [InlineData("[1, \"2\"]", "metrics.app.launches.buckets[1]", "whole numbers")]
    [InlineData("[1, 99999999999999999999]", "metrics.app.launches.buckets[1]", "too large")]
    [InlineData("10", "metrics.app.launches.buckets", "list")]
    public void Buckets_must_be_a_list_of_non_negative_whole_numbers(string buckets, string field, string messagePart)
    {
        var problem = SingleProblemOf(WithMetrics(Launches.Replace("[1, 2, 5, 10, 20, 50, 100]", buckets)));

        Assert.Equal(field, problem.Field);
        Assert.Contains(messagePart, problem.Message);
    }

    [Fact]
    public void At_most_64_buckets_are_allowed()
    {
        var bounds = string.Join(", ", Enumerable.Range(0, 65));
        var problem = SingleProblemOf(WithMetrics(Launches.Replace("[1, 2, 5, 10, 20, 50, 100]", $"[{bounds}]")));

        Assert.Equal("metrics.app.launches.buckets", problem.Field);
        Assert.Contains("at most 64", problem.Message);

        var sixtyFour = string.Join(", ", Enumerable.Range(0, 64));
        RegistryParser.Parse(WithMetrics(Launches.Replace("[1, 2, 5, 10, 20, 50, 100]", $"[{sixtyFour}]")), FileName);
    }

    [Fact]
    public void Unknown_type_is_rejected_listing_the_allowed_types()
    {
        var yaml = WithMetrics(Launches.Replace("type: counter", "type: countr"));

        var problem = SingleProblemOf(yaml);

        Assert.Equal("metrics.app.launches.type", problem.Field);
        Assert.Equal(LineOf(yaml, "type: countr"), problem.Line);
        Assert.Equal("unknown type 'countr'; allowed types: counter, flag, enum, quantity, histogram", problem.Message);
    }

    [Fact]
    public void Enum_without_values_is_rejected()
    {
        var yaml = WithMetrics("""
              system.os:
                type: enum
                category: system
                period: week
                description: The operating system family.
                purpose: Decide which platforms get packages first.
                expires: never

            """);

        var problem = SingleProblemOf(yaml);

        Assert.Equal("metrics.system.os.values", problem.Field);
        Assert.Equal(LineOf(yaml, "system.os:"), problem.Line);
        Assert.Contains("an enum needs values", problem.Message);
    }

    private const string Os = """
          system.os:
            type: enum
            category: system
            period: week
            values: [linux, windows, macos, other]
            description: The operating system family.
            purpose: Decide which platforms get packages first.
            expires: never

        """;

    [Theory]
    [InlineData("[]", "metrics.system.os.values", "at least one value")]
    [InlineData("[linux, Windows]", "metrics.system.os.values[1]", "'Windows' is not a valid value")]
    [InlineData("[linux, 'mac os']", "metrics.system.os.values[1]", "'mac os' is not a valid value")]
    [InlineData("[linux, windows, linux]", "metrics.system.os.values[2]", "value 'linux' is listed twice (first as metrics.system.os.values[0])")]
    [InlineData("[linux, ~]", "metrics.system.os.values[1]", "must be text")]
    public void Enum_values_must_be_short_lowercase_names_without_duplicates(string values, string field, string messagePart)
    {
        var problem = SingleProblemOf(WithMetrics(Os.Replace("[linux, windows, macos, other]", values)));

        Assert.Equal(field, problem.Field);
        Assert.Contains(messagePart, problem.Message);
    }

    [Fact]
    public void Enum_may_have_at_most_256_values()
    {
        var values = string.Join(", ", Enumerable.Range(0, 257).Select(i => $"v{i}"));

        var problem = SingleProblemOf(WithMetrics(Os.Replace("[linux, windows, macos, other]", $"[{values}]")));

        Assert.Equal("metrics.system.os.values", problem.Field);
        Assert.Contains("at most 256", problem.Message);
    }

    [Fact]
    public void Enum_takes_no_buckets_or_transform()
    {
        var yaml = WithMetrics(Os.Replace("    values:", "    buckets: [1, 2]\n    transform: log10\n    values:"));

        var problems = ProblemsOf(yaml);

        Assert.Equal(["metrics.system.os.buckets", "metrics.system.os.transform"], problems.Select(p => p.Field));
        Assert.All(problems, p => Assert.Contains("not allowed on a enum metric", p.Message));
    }

    private const string Spellcheck = """
          feature.spellcheck:
            type: flag
            category: usage
            period: week
            description: Spell checking was used during the week.
            purpose: Decide whether to keep maintaining the spell checker.
            expires: 2027-06-30

        """;

    [Fact]
    public void Flag_takes_no_buckets_values_or_transform()
    {
        var yaml = WithMetrics(Spellcheck.Replace("    period: week", "    period: week\n    buckets: [1]\n    values: [a]\n    transform: log10"));

        var problems = ProblemsOf(yaml);

        Assert.Equal(["metrics.feature.spellcheck.buckets", "metrics.feature.spellcheck.values", "metrics.feature.spellcheck.transform"],
            problems.Select(p => p.Field));
        Assert.All(problems, p => Assert.Contains("not allowed on a flag metric", p.Message));
    }

    [Fact]
    public void Counter_and_histogram_need_buckets()
    {
        var counter = SingleProblemOf(WithMetrics(Launches.Replace("    buckets: [1, 2, 5, 10, 20, 50, 100]\n", "")));
        var histogram = SingleProblemOf(WithMetrics(Launches.Replace("type: counter", "type: histogram")
            .Replace("    buckets: [1, 2, 5, 10, 20, 50, 100]\n", "")));

        Assert.Equal("metrics.app.launches.buckets", counter.Field);
        Assert.Contains("a counter needs buckets", counter.Message);
        Assert.Equal("metrics.app.launches.buckets", histogram.Field);
        Assert.Contains("a histogram needs buckets", histogram.Message);
    }

    [Fact]
    public void Values_are_allowed_only_on_enums_and_transform_only_on_quantities()
    {
        var yaml = WithMetrics(Launches.Replace("    period: week", "    period: week\n    values: [a, b]\n    transform: log10"));

        var problems = ProblemsOf(yaml);

        Assert.Equal(["metrics.app.launches.values", "metrics.app.launches.transform"], problems.Select(p => p.Field));
    }

    private const string AgeDays = """
          install.age_days:
            type: quantity
            category: system
            period: week
            transform: log10
            description: Days since the editor was installed.
            purpose: See whether people keep using the editor.
            expires: never

        """;

    [Fact]
    public void Quantity_takes_a_log10_transform()
    {
        var metric = RegistryParser.Parse(WithMetrics(AgeDays), FileName).FindMetric("install.age_days")!;

        Assert.Equal(NumberTransform.Log10, metric.Transform);
        Assert.True(metric.Buckets.IsEmpty);
    }

    [Fact]
    public void Quantity_needs_exactly_one_of_buckets_or_transform()
    {
        var neither = SingleProblemOf(WithMetrics(AgeDays.Replace("    transform: log10\n", "")));
        var both = SingleProblemOf(WithMetrics(AgeDays.Replace("    transform: log10\n", "    transform: log10\n    buckets: [1, 10]\n")));
        var bucketsOnly = RegistryParser.Parse(WithMetrics(AgeDays.Replace("    transform: log10\n", "    buckets: [1, 10]\n")), FileName);

        Assert.Contains("either buckets or transform: log10", neither.Message);
        Assert.Equal("metrics.install.age_days.transform", both.Field);
        Assert.Contains("not both", both.Message);
        Assert.Equal(new long[] { 1, 10 }, bucketsOnly.FindMetric("install.age_days")!.Buckets.ToArray());
    }

    [Fact]
    public void Unknown_transform_is_rejected()
    {
        var problem = SingleProblemOf(WithMetrics(AgeDays.Replace("transform: log10", "transform: sqrt")));

        Assert.Equal("metrics.install.age_days.transform", problem.Field);
        Assert.Equal("unknown transform 'sqrt'; the only transform is log10", problem.Message);
    }

    [Theory]
    [InlineData("2027-02-30", "'2027-02-30' is not a real date")]
    [InlineData("2027-13-01", "'2027-13-01' is not a real date")]
    [InlineData("2027-2-3", "expires must be a date YYYY-MM-DD or never, not '2027-2-3'")]
    [InlineData("31.12.2027", "expires must be a date YYYY-MM-DD or never, not '31.12.2027'")]
    [InlineData("Never", "expires must be a date YYYY-MM-DD or never, not 'Never'")]
    public void Bad_expiry_date_is_rejected(string expires, string message)
    {
        var yaml = WithMetrics(Launches.Replace("expires: 2027-12-31", $"expires: {expires}"));

        var problem = SingleProblemOf(yaml);

        Assert.Equal("metrics.app.launches.expires", problem.Field);
        Assert.Equal(LineOf(yaml, "expires:"), problem.Line);
        Assert.Equal(message, problem.Message);
    }

    [Fact]
    public void Leap_day_is_a_real_date()
    {
        var registry = RegistryParser.Parse(WithMetrics(Launches.Replace("2027-12-31", "2028-02-29")), FileName);

        Assert.Equal(new DateOnly(2028, 2, 29), registry.FindMetric("app.launches")!.Expires);
    }

    [Fact]
    public void Duplicate_metric_is_rejected_naming_both_lines()
    {
        var yaml = WithMetrics(Launches, Launches);

        var problem = SingleProblemOf(yaml);

        var first = LineOf(yaml, "app.launches:", 1);
        var second = LineOf(yaml, "app.launches:", 2);
        Assert.Equal("metrics.app.launches", problem.Field);
        Assert.Equal(second, problem.Line);
        Assert.Equal(3, problem.Column);
        Assert.Equal($"metric 'app.launches' is defined twice (lines {first} and {second})", problem.Message);
    }

    [Fact]
    public void Duplicate_category_is_rejected_naming_both_lines()
    {
        var yaml = WithMetrics(Launches).Replace(
            "  system: { description: Hardware and system settings }",
            "  system: { description: Hardware and system settings }\n  usage: { description: Again }");

        var problem = SingleProblemOf(yaml);

        Assert.Equal("categories.usage", problem.Field);
        Assert.Equal(6, problem.Line);
        Assert.Equal(3, problem.Column);
        Assert.Equal("category 'usage' is declared twice (lines 4 and 6)", problem.Message);
    }

    [Fact]
    public void Duplicate_field_within_a_metric_is_rejected()
    {
        var yaml = WithMetrics(Launches.Replace("    period: week", "    period: week\n    period: day"));

        var problem = SingleProblemOf(yaml);

        Assert.Equal("metrics.app.launches.period", problem.Field);
        Assert.Equal(LineOf(yaml, "period: day"), problem.Line);
        Assert.Contains("given twice", problem.Message);
    }

    [Theory]
    [InlineData("launches")]          // one segment
    [InlineData("App.launches")]      // uppercase
    [InlineData("app.2launches")]     // segment starts with a digit
    [InlineData("app..launches")]     // empty segment
    [InlineData("app.launches.")]     // trailing dot
    [InlineData("app.launch-count")]  // '-' is not allowed
    public void Bad_metric_name_syntax_is_rejected(string name)
    {
        var yaml = WithMetrics(Launches.Replace("app.launches:", $"'{name}':"));

        var problem = SingleProblemOf(yaml);

        Assert.Equal($"metrics.{name}", problem.Field);
        Assert.Equal(LineOf(yaml, name), problem.Line);
        Assert.Contains("is not a valid metric name", problem.Message);
        Assert.False(RegistryParser.IsValidMetricName(name));
    }

    [Fact]
    public void Metric_names_are_dotted_lowercase_of_at_most_64_characters()
    {
        Assert.True(RegistryParser.IsValidMetricName("app.launches"));
        Assert.True(RegistryParser.IsValidMetricName("a.b"));
        Assert.True(RegistryParser.IsValidMetricName("files.type_opened.v2"));
        Assert.True(RegistryParser.IsValidMetricName("a." + new string('b', 62)));
        Assert.False(RegistryParser.IsValidMetricName("a." + new string('b', 63)));
        Assert.False(RegistryParser.IsValidMetricName("app.launches\n"));
        Assert.False(RegistryParser.IsValidMetricName(""));
    }

    [Theory]
    [InlineData("org.example.editor", true)]
    [InlineData("editor", true)]
    [InlineData("0ad", true)]
    [InlineData("my-app.v2", true)]
    [InlineData("Org.Example", false)]
    [InlineData(".editor", false)]
    [InlineData("-editor", false)]
    [InlineData("my_app", false)]
    [InlineData("my app", false)]
    [InlineData("editor\n", false)]
    [InlineData("", false)]
    public void App_ids_are_lowercase_letters_digits_dots_and_dashes(string app, bool valid)
    {
        Assert.Equal(valid, RegistryParser.IsValidAppId(app));
    }

    [Fact]
    public void App_ids_are_at_most_100_characters()
    {
        Assert.True(RegistryParser.IsValidAppId(new string('a', 100)));
        Assert.False(RegistryParser.IsValidAppId(new string('a', 101)));
    }

    [Fact]
    public void Invalid_app_id_is_rejected()
    {
        var problem = SingleProblemOf(WithMetrics(Launches).Replace("app: org.example.editor", "app: Org.Example.Editor"));

        Assert.Equal("app", problem.Field);
        Assert.Equal(1, problem.Line);
        Assert.Contains("'Org.Example.Editor' is not a valid application id", problem.Message);
    }

    [Fact]
    public void Unknown_key_is_rejected_with_a_suggestion()
    {
        var yaml = WithMetrics(Launches.Replace("    buckets:", "    bucket:"));

        var problems = ProblemsOf(yaml);

        var unknown = Assert.Single(problems, p => p.Field == "metrics.app.launches.bucket");
        Assert.Equal(LineOf(yaml, "bucket:"), unknown.Line);
        Assert.Equal(5, unknown.Column);
        Assert.StartsWith("unknown key 'bucket' (did you mean 'buckets'?); allowed keys: type, category,", unknown.Message);
        // The typo also leaves the counter without buckets, which is reported too.
        Assert.Contains(problems, p => p.Field == "metrics.app.launches.buckets");
    }

    [Theory]
    [InlineData("version: 3", "version: 3\nowner: someone", "owner")]
    [InlineData("{ description: How features are used }", "{ description: How features are used, title: Usage }", "categories.usage.title")]
    [InlineData("    period: week", "    period: week\n    local_privacy: { epsilon: 1, delta: 0.1 }", "metrics.app.launches.local_privacy.delta")]
    public void Unknown_keys_are_rejected_at_every_level(string find, string replace, string field)
    {
        var problem = SingleProblemOf(WithMetrics(Launches).Replace(find, replace));

        Assert.Equal(field, problem.Field);
        Assert.StartsWith($"unknown key '{field.Split('.')[^1]}'", problem.Message);
    }

    [Fact]
    public void Undeclared_category_is_rejected()
    {
        var yaml = WithMetrics(Launches.Replace("category: usage", "category: usag"));

        var problem = SingleProblemOf(yaml);

        Assert.Equal("metrics.app.launches.category", problem.Field);
        Assert.Equal(LineOf(yaml, "category: usag"), problem.Line);
        Assert.Equal("category 'usag' is not declared under categories (declared: system, usage)", problem.Message);
    }

    [Fact]
    public void Builtin_activity_category_cannot_be_used_without_declaring_it()
    {
        var problem = SingleProblemOf(WithMetrics(Launches.Replace("category: usage", "category: activity")));

        Assert.Equal("metrics.app.launches.category", problem.Field);
    }

    [Theory]
    [InlineData("candor.active")]
    [InlineData("candor.something_else")]
    public void Metric_names_with_the_reserved_candor_prefix_are_rejected(string name)
    {
        var yaml = WithMetrics(Launches.Replace("app.launches:", $"{name}:"));

        var problem = SingleProblemOf(yaml);

        Assert.Equal($"metrics.{name}", problem.Field);
        Assert.Contains("reserved", problem.Message);
    }

    [Theory]
    [InlineData("Usage")]
    [InlineData("1usage")]
    [InlineData("usage-stats")]
    public void Bad_category_name_is_rejected(string name)
    {
        var yaml = WithMetrics(Launches.Replace("category: usage", $"category: {name}"))
            .Replace("  usage: {", $"  {name}: {{");

        var problem = SingleProblemOf(yaml);

        Assert.Equal($"categories.{name}", problem.Field);
        Assert.Contains("is not a valid category name", problem.Message);
    }

    [Fact]
    public void Category_needs_a_description()
    {
        var problem = SingleProblemOf(WithMetrics(Launches).Replace("usage: { description: How features are used }", "usage: { description: '' }"));

        Assert.Equal("categories.usage.description", problem.Field);
        Assert.Equal("description must not be empty", problem.Message);
    }

    [Theory]
    [InlineData("type")]
    [InlineData("category")]
    [InlineData("period")]
    [InlineData("description")]
    [InlineData("purpose")]
    [InlineData("expires")]
    public void Every_metric_field_except_the_type_specific_ones_is_required(string key)
    {
        var lines = Launches.Split('\n').Where(l => !l.TrimStart().StartsWith(key + ":", StringComparison.Ordinal));
        var yaml = WithMetrics(string.Join('\n', lines));

        var problem = SingleProblemOf(yaml);

        Assert.Equal($"metrics.app.launches.{key}", problem.Field);
        Assert.Equal(LineOf(yaml, "app.launches:"), problem.Line);
        Assert.StartsWith($"{key} is required", problem.Message);
    }

    [Theory]
    [InlineData("description: ''", "description must not be empty")]
    [InlineData("description:", "description must not be empty")]
    [InlineData("description: [a, b]", "description must be text, not a list")]
    [InlineData("purpose: '   '", "purpose must not be empty")]
    public void Description_and_purpose_must_be_non_empty_text(string line, string message)
    {
        var key = line.Split(':')[0];
        var original = Launches.Split('\n').First(l => l.TrimStart().StartsWith(key + ":", StringComparison.Ordinal));

        var problem = SingleProblemOf(WithMetrics(Launches.Replace(original, "    " + line)));

        Assert.Equal($"metrics.app.launches.{key}", problem.Field);
        Assert.Equal(message, problem.Message);
    }

    [Fact]
    public void Period_is_day_or_week()
    {
        var day = RegistryParser.Parse(WithMetrics(Launches.Replace("period: week", "period: day")), FileName);
        var problem = SingleProblemOf(WithMetrics(Launches.Replace("period: week", "period: month")));

        Assert.Equal(MetricPeriod.Day, day.FindMetric("app.launches")!.Period);
        Assert.Equal("metrics.app.launches.period", problem.Field);
        Assert.Equal("unknown period 'month'; allowed periods: day, week", problem.Message);
    }

    [Theory]
    [InlineData("version: 0")]
    [InlineData("version: -1")]
    [InlineData("version: 2147483648")]
    [InlineData("version: 3.0")]
    [InlineData("version: three")]
    [InlineData("version: '3'")]
    [InlineData("version:")]
    public void Version_must_be_a_whole_number_from_1(string line)
    {
        var problem = SingleProblemOf(WithMetrics(Launches).Replace("version: 3", line));

        Assert.Equal("version", problem.Field);
        Assert.Equal(2, problem.Line);
    }

    [Fact]
    public void Largest_version_is_int_max()
    {
        var registry = RegistryParser.Parse(WithMetrics(Launches).Replace("version: 3", "version: 2147483647"), FileName);

        Assert.Equal(int.MaxValue, registry.Version);
    }

    [Fact]
    public void App_version_categories_and_metrics_are_required()
    {
        var problems = ProblemsOf("owner: nobody\n");

        Assert.Equal(["owner", "app", "version", "categories", "metrics"], problems.Select(p => p.Field));
    }

    [Fact]
    public void Metrics_must_not_be_empty()
    {
        var problem = SingleProblemOf(Header.Replace("metrics:", "metrics: {}"));

        Assert.Equal("metrics", problem.Field);
        Assert.Contains("at least one metric", problem.Message);
    }

    [Fact]
    public void At_most_1000_metrics_are_allowed()
    {
        string Metrics(int count) => string.Concat(Enumerable.Range(0, count)
            .Select(i => Launches.Replace("app.launches:", $"app.m{i}:")));

        RegistryParser.Parse(WithMetrics(Metrics(1000)), FileName);
        var problem = SingleProblemOf(WithMetrics(Metrics(1001)));

        Assert.Equal("metrics", problem.Field);
        Assert.Contains("at most 1000 metrics", problem.Message);
    }

    [Fact]
    public void Local_privacy_epsilon_becomes_settings()
    {
        var registry = RegistryParser.Parse(
            WithMetrics(Launches.Replace("    period: week", "    period: week\n    local_privacy: { epsilon: 0.5 }")), FileName);

        Assert.Equal(new LocalPrivacySettings(0.5), registry.FindMetric("app.launches")!.LocalPrivacy);
    }

    [Theory]
    [InlineData("{ epsilon: 0 }", "metrics.app.launches.local_privacy.epsilon")]
    [InlineData("{ epsilon: -1 }", "metrics.app.launches.local_privacy.epsilon")]
    [InlineData("{ epsilon: 10.5 }", "metrics.app.launches.local_privacy.epsilon")]
    [InlineData("{ epsilon: .inf }", "metrics.app.launches.local_privacy.epsilon")]
    [InlineData("{ epsilon: lots }", "metrics.app.launches.local_privacy.epsilon")]
    [InlineData("{ }", "metrics.app.launches.local_privacy.epsilon")]
    [InlineData("1", "metrics.app.launches.local_privacy")]
    public void Local_privacy_epsilon_must_be_above_0_and_at_most_10(string settings, string field)
    {
        var problem = SingleProblemOf(WithMetrics(Launches.Replace("    period: week", $"    period: week\n    local_privacy: {settings}")));

        Assert.Equal(field, problem.Field);
    }

    [Fact]
    public void Local_privacy_on_a_histogram_is_refused_until_clients_can_honour_it()
    {
        var histogram = Launches.Replace("app.launches", "startup.ms").Replace("type: counter", "type: histogram");
        var problem = SingleProblemOf(WithMetrics(histogram.Replace("    period: week", "    period: week\n    local_privacy: { epsilon: 1 }")));

        Assert.Equal("metrics.startup.ms.local_privacy", problem.Field);
        Assert.Contains("not supported on histograms", problem.Message);
    }

    [Fact]
    public void Epsilon_of_exactly_10_is_allowed()
    {
        var registry = RegistryParser.Parse(
            WithMetrics(Launches.Replace("    period: week", "    period: week\n    local_privacy: { epsilon: 10 }")), FileName);

        Assert.Equal(10, registry.FindMetric("app.launches")!.LocalPrivacy!.Epsilon);
    }

    [Fact]
    public void Malformed_yaml_is_one_problem_at_the_error_position()
    {
        var yaml = "app: org.example.editor\nversion: 3\ncategories: [usage\nmetrics: {}\n";

        var problem = SingleProblemOf(yaml);

        Assert.Equal(RegistryProblem.YamlField, problem.Field);
        Assert.Equal("(yaml)", problem.Field);
        Assert.InRange(problem.Line, 3, 5);
        Assert.True(problem.Column >= 1);
        Assert.DoesNotContain("Line:", problem.Message);
        Assert.NotEmpty(problem.Message);
    }

    [Fact]
    public void Tabs_for_indentation_are_malformed_yaml()
    {
        var problem = SingleProblemOf("app: org.example.editor\nmetrics:\n\tapp.launches: {}\n");

        Assert.Equal("(yaml)", problem.Field);
        Assert.Equal(3, problem.Line);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("~\n")]
    public void Empty_registry_is_rejected(string yaml)
    {
        var problem = SingleProblemOf(yaml);

        Assert.Equal("(yaml)", problem.Field);
        Assert.Contains("empty", problem.Message);
    }

    [Fact]
    public void A_registry_that_is_not_a_mapping_is_rejected()
    {
        var problem = SingleProblemOf("- app\n- version\n");

        Assert.Equal("(yaml)", problem.Field);
        Assert.Contains("must be a mapping", problem.Message);
    }

    [Fact]
    public void A_second_yaml_document_is_rejected()
    {
        var yaml = WithMetrics(Launches) + "---\napp: other\n";

        var problem = SingleProblemOf(yaml);

        Assert.Equal("(yaml)", problem.Field);
        Assert.Equal(LineOf(yaml, "---"), problem.Line);
    }

    [Fact]
    public void Anchors_and_aliases_are_resolved()
    {
        var yaml = WithMetrics(
            Launches.Replace("buckets: [1, 2, 5, 10, 20, 50, 100]", "buckets: &counts [1, 2, 5, 10, 20, 50, 100]"),
            Launches.Replace("app.launches:", "app.crashes:").Replace("buckets: [1, 2, 5, 10, 20, 50, 100]", "buckets: *counts"));

        var registry = RegistryParser.Parse(yaml, FileName);

        Assert.Equal(new long[] { 1, 2, 5, 10, 20, 50, 100 }, registry.FindMetric("app.crashes")!.Buckets.ToArray());
    }

    [Fact]
    public void Multiple_problems_are_reported_at_once_in_file_order()
    {
        var yaml = WithMetrics(
            Launches.Replace("type: counter", "type: countr").Replace("[1, 2, 5, 10, 20, 50, 100]", "[1, 5, 2]"),
            Os.Replace("category: system", "category: nowhere").Replace("expires: never", "expires: 2027-02-30"),
            Launches);

        var e = Assert.Throws<RegistryException>(() => RegistryParser.Parse(yaml, FileName));

        Assert.Equal(
            [
                "metrics.app.launches.type",
                "metrics.app.launches.buckets",
                "metrics.system.os.category",
                "metrics.system.os.expires",
                "metrics.app.launches",
            ],
            e.Problems.Select(p => p.Field));
        Assert.Equal(e.Problems.OrderBy(p => p.Line).Select(p => p.Line), e.Problems.Select(p => p.Line));
        Assert.Equal(string.Join('\n', e.Problems), e.Message);
        Assert.StartsWith($"editor.yaml:{LineOf(yaml, "type: countr")}:5: metrics.app.launches.type: unknown type 'countr'", e.Message);
    }

    [Fact]
    public void ParseFile_names_the_file_by_the_path_as_given()
    {
        var dir = Directory.CreateTempSubdirectory("candor-registry-");
        try
        {
            var path = Path.Combine(dir.FullName, "broken.yaml");
            File.WriteAllText(path, WithMetrics(Launches.Replace("type: counter", "type: countr")));

            var e = Assert.Throws<RegistryException>(() => RegistryParser.ParseFile(path));

            Assert.Equal(path, Assert.Single(e.Problems).File);
            Assert.StartsWith(path + ":", e.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
