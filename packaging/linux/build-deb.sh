#!/usr/bin/env bash
# Builds candor-agent_<version>_<arch>.deb: the candor command (self-contained) with the machine-wide
# agent's systemd unit, D-Bus policy and activation file, polkit action and example registry.
#
#   packaging/linux/build-deb.sh [--out DIR] [--published DIR] [--version X.Y.Z]
#
# --published reuses a `dotnet publish -r linux-<arch> --self-contained` folder (the tests publish once
# for the .deb and the RPM); without it the script publishes into a temporary folder.
#
# Self-contained, not framework-dependent: Debian and Ubuntu ship no .NET 10 runtime package in their
# main archives, so a `Depends: dotnet-runtime-10.0` could only be met from Microsoft's own repository,
# and dpkg would refuse the package everywhere else. The price is size (the runtime is inside, about
# 80 MB installed) and that runtime security fixes come with a rebuilt package.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$PWD"
published=""
version=""

while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --published) published="$2"; shift 2 ;;
    --version) version="$2"; shift 2 ;;
    *) echo "build-deb.sh: unknown argument '$1' (see the comment at the top of this script)" >&2; exit 2 ;;
  esac
done

for tool in dpkg-deb dotnet; do
  if ! command -v "$tool" >/dev/null 2>&1 && { [ "$tool" != dotnet ] || [ -z "$published" ]; }; then
    echo "build-deb.sh: '$tool' is not installed (dpkg-deb: apt-get install dpkg; dotnet: the .NET 10 SDK)" >&2
    exit 1
  fi
done

case "$(uname -m)" in
  x86_64) arch=amd64; rid=linux-x64 ;;
  aarch64) arch=arm64; rid=linux-arm64 ;;
  *) echo "build-deb.sh: no .NET runtime identifier for $(uname -m)" >&2; exit 1 ;;
esac

if [ -z "$version" ]; then
  version="$(sed -n 's:.*<CandorVersion>\(.*\)</CandorVersion>.*:\1:p' "$repo/Directory.Build.props")"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -z "$published" ]; then
  published="$work/published"
  dotnet publish "$repo/src/Candor.Cli" -c Release -r "$rid" --self-contained -p:DebugType=none -o "$published" >&2
fi
if [ ! -x "$published/candor" ]; then
  echo "build-deb.sh: $published has no executable 'candor': publish src/Candor.Cli for $rid first" >&2
  exit 1
fi

root="$work/root"
install -d -m 755 "$root/usr/lib/candor" "$root/usr/bin" "$root/DEBIAN"
cp -a "$published/." "$root/usr/lib/candor/"
# Symbols and XML docs are for developers, not for a machine's /usr.
find "$root/usr/lib/candor" \( -name '*.pdb' -o -name '*.xml' -o -name '*.dbg' \) -delete
chmod -R u=rwX,go=rX "$root/usr/lib/candor"
chmod 755 "$root/usr/lib/candor/candor"
ln -s ../lib/candor/candor "$root/usr/bin/candor"

install -D -m 644 "$here/candor-agent.service" "$root/usr/lib/systemd/system/candor-agent.service"
install -D -m 644 "$here/com.endlessm.Metrics.conf" "$root/usr/share/dbus-1/system.d/com.endlessm.Metrics.conf"
install -D -m 644 "$here/com.endlessm.Metrics.service" "$root/usr/share/dbus-1/system-services/com.endlessm.Metrics.service"
install -D -m 644 "$here/org.candor.agent.policy" "$root/usr/share/polkit-1/actions/org.candor.agent.policy"
install -D -m 644 "$repo/examples/agent/fedora-workstation.yaml" "$root/etc/candor-agent/registry.yaml"
install -D -m 644 "$repo/examples/agent/fedora-workstation-events.yaml" "$root/etc/candor-agent/events.yaml"
install -D -m 644 "$repo/docs/linux.md" "$root/usr/share/doc/candor-agent/linux.md"
install -D -m 644 "$repo/LICENSE" "$root/usr/share/doc/candor-agent/copyright"

installed_kb="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
cat > "$root/DEBIAN/control" <<EOF
Package: candor-agent
Version: $version
Architecture: $arch
Maintainer: The Candor authors <candor@invalid>
Installed-Size: $installed_kb
Depends: libc6, libgcc-s1, libstdc++6, zlib1g, libssl3 | libssl3t64, dbus
Recommends: polkitd | policykit-1
Section: admin
Priority: optional
Homepage: https://candor.invalid/
Description: Candor machine-wide agent: opt-in, anonymous usage statistics
 Owns com.endlessm.Metrics on the system bus, so applications that record
 through eos-metrics record through Candor. Nothing is recorded, not even
 locally, before the machine's explicit yes (candor agent consent yes).
 Installing starts nothing: the service is D-Bus activated only.
EOF
printf '%s\n' /etc/candor-agent/registry.yaml /etc/candor-agent/events.yaml > "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  install -m 755 "$here/debian/$script" "$root/DEBIAN/$script"
done

mkdir -p "$out"
deb="$out/candor-agent_${version}_${arch}.deb"
# gzip, not the default xz: the package is mostly the .NET runtime, and xz takes minutes on it.
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >&2
echo "$deb"
