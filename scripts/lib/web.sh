# What the web pages need: Node.js and npm to build them (server/build.rs runs the
# build), and Debian's Chromium for the browser tests. Installed with apt-get where
# missing. Source this file, then call `web_install_build` and/or `web_install_browser`.

# shellcheck source=scripts/lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

# Node.js 18 or newer and npm.
web_install_build() {
    local major
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    if [ "$major" -lt 18 ] || ! command -v npm >/dev/null; then
        apt_install nodejs npm
    fi
}

# Chromium, at /usr/bin/chromium (or $CHROMIUM_PATH).
web_install_browser() {
    local chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
    [ -x "$chromium" ] || apt_install chromium
    # A CJK font, so the zh-TW pages' screenshots show their text (not empty boxes).
    dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || apt_install fonts-wqy-microhei
}
