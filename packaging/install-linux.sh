#!/usr/bin/env sh
# Installs the release binary, the .desktop entry and the icon for the current user
# (~/.local), so flowbench appears in the desktop's menus with its icon.
# Run from the repository root after `cargo build --release`.
set -eu
prefix="${PREFIX:-$HOME/.local}"
install -Dm755 target/release/flowbench "$prefix/bin/flowbench"
install -Dm644 packaging/flowbench.desktop "$prefix/share/applications/flowbench.desktop"
install -Dm644 assets/flowbench.png "$prefix/share/icons/hicolor/128x128/apps/flowbench.png"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$prefix/share/applications" || true
echo "installed flowbench in $prefix"
