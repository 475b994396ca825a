#!/bin/sh
# Installs Warden and the example jobs the way the deployment files expect
# them (see README.md, "Operating Warden"):
#
#   /usr/local/bin/warden                    the host
#   /usr/local/lib/warden/<component>.wasm   the jobs' components
#   /etc/warden/jobs/<job>/job.toml          their manifests, pointing at
#                                            those components and pinned to
#                                            their SHA-256 ([job] sha256)
#   /etc/warden/warden.toml                  the config (kept if present)
#
# Build first: `cargo build --release -p warden` and, in jobs/,
# `cargo build --release`. Run as root, from anywhere. The environment can
# change what is installed and where:
#   DESTDIR             a root to install under (default: /)
#   WARDEN_BIN          the host binary (default: target/release/warden)
#   WARDEN_COMPONENTS   the built components (default:
#                       jobs/target/wasm32-wasip2/release)
#   WARDEN_CONFIG       the config to install (default:
#                       examples/deploy/warden.toml, for the systemd unit)
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
dest=${DESTDIR:-}
bin=${WARDEN_BIN:-$src/target/release/warden}
components=${WARDEN_COMPONENTS:-$src/jobs/target/wasm32-wasip2/release}
config=${WARDEN_CONFIG:-$src/examples/deploy/warden.toml}
lib=/usr/local/lib/warden

install -D -m 0755 "$bin" "$dest/usr/local/bin/warden"
install -d -m 0755 "$dest$lib" "$dest/etc/warden/jobs"
for manifest in "$src"/examples/*/job.toml; do
    job=$(basename "$(dirname "$manifest")")
    wasm=$(sed -n 's|^component = "\(.*/\)\{0,1\}\([^/"]*\.wasm\)"$|\2|p' "$manifest")
    if [ -z "$wasm" ]; then
        echo "install.sh: $manifest: no component = \"….wasm\" line" >&2
        exit 1
    fi
    install -m 0644 "$components/$wasm" "$dest$lib/$wasm"
    sum=$(sha256sum "$components/$wasm" | cut -d ' ' -f 1)
    install -d -m 0755 "$dest/etc/warden/jobs/$job"
    # The component where it now is, pinned: the manifest's scopes are
    # granted to this build only.
    sed -e '/^sha256 = /d' \
        -e "s|^component = .*|component = \"$lib/$wasm\"\\
sha256 = \"$sum\"|" \
        "$manifest" >"$dest/etc/warden/jobs/$job/job.toml"
    chmod 0644 "$dest/etc/warden/jobs/$job/job.toml"
    echo "installed job $job ($lib/$wasm, sha256 $sum)"
done
if [ -e "$dest/etc/warden/warden.toml" ]; then
    echo "kept $dest/etc/warden/warden.toml"
else
    install -m 0644 "$config" "$dest/etc/warden/warden.toml"
    echo "installed $dest/etc/warden/warden.toml: set base_url in it"
fi
