#!/bin/bash
# install-pages.sh NODE_MODULES DEST: the web client's files as corral-web
# serves them from its root (/usr/share/corral/web in the control domain):
# our pages from web/pages, and only the browser-side files of the npm
# packages they use (xterm.js, noVNC), so the pages work with no internet.
# NODE_MODULES is what `npm ci` made from web/package-lock.json (build.sh
# keeps it in its cache).  playwright-core is for the tests and stays out.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 NODE_MODULES DEST" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
modules=$1 dest=$2
xterm=$modules/@xterm/xterm novnc=$modules/@novnc/novnc
for f in "$xterm/lib/xterm.js" "$xterm/css/xterm.css" "$novnc/core/rfb.js"; do
    [ -f "$f" ] || { echo "install-pages.sh: $f missing (npm ci not run?)" >&2; exit 1; }
done

rm -rf "$dest"
mkdir -p "$dest"
cp -R "$here/pages/." "$dest/"
vendor=$dest/static/vendor
mkdir -p "$vendor/xterm" "$vendor/novnc"
install -m 0644 "$xterm/lib/xterm.js" "$xterm/css/xterm.css" "$xterm/LICENSE" "$vendor/xterm/"
# noVNC is ES modules importing each other and its vendored pako: keep the
# tree, JavaScript and licences only.
(cd "$novnc" && find core vendor -name '*.js' -o -name 'LICENSE*' | cpio -pdm --quiet "$vendor/novnc")
install -m 0644 "$novnc/LICENSE.txt" "$vendor/novnc/"
find "$dest" -type d -exec chmod 0755 {} + 
find "$dest" -type f -exec chmod 0644 {} +
