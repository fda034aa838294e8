// The suite runs on Linux only: it drives dbus-daemon, dpkg, nginx, tmpfs mounts and Unix file modes.
// Saying so once keeps the platform analyzer (CA1416) from flagging every Unix-only call.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
