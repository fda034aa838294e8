namespace AccountService;

public static class Program
{
    /// <summary><c>dotnet run --project examples/AccountService -- --urls http://127.0.0.1:5080 --db consent.db</c></summary>
    public static async Task Main(string[] args)
    {
        var app = AccountServiceApp.Build(args);
        await app.RunAsync();
    }
}
