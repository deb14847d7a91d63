#!/bin/sh
# Add OpenING Desktop to the applications menu of this user (freedesktop: ~/.local/share/applications
# and the hicolor icon theme). Run it from the unpacked OpenING folder; run it again after moving the
# folder. Nothing outside those two user folders is touched.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps"
mkdir -p "$apps" "$icons"
cp "$here/opening-desktop.png" "$icons/opening-desktop.png"
sed "s|^Exec=OpenING|Exec=\"$here/OpenING\"|" "$here/opening-desktop.desktop" > "$apps/opening-desktop.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$apps" || true
echo "OpenING Desktop added to the applications menu ($apps/opening-desktop.desktop)"
