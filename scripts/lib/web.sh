# What the web pages need: Node.js and npm to build them (server/build.rs runs the
# build), and Debian's Chromium for the browser tests. Installed with apt-get where
# missing. Source this file, then call `web_install_build` and/or `web_install_browser`.

web_apt_install() {
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "installing $* with apt-get" >&2
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# Node.js 18 or newer and npm.
web_install_build() {
    local major
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    if [ "$major" -lt 18 ] || ! command -v npm >/dev/null; then
        web_apt_install nodejs npm
    fi
}

# Chromium, at /usr/bin/chromium (or $CHROMIUM_PATH).
web_install_browser() {
    local chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
    [ -x "$chromium" ] || web_apt_install chromium
}
