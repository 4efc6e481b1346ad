# apt_install PACKAGE...: installs Debian packages (with sudo unless root), quietly.
# Another apt-get or dpkg holding the package locks (unattended upgrades, a second
# test run) is waited for, up to APT_LOCK_WAIT_SECS (default 600), instead of failing
# at once: dpkg's locks through apt's DPkg::Lock::Timeout, the package lists' lock
# (which `apt-get update` does not wait for) by trying again every 5 s.
apt_install() {
    local sudo="" wait="${APT_LOCK_WAIT_SECS:-600}" waited=0
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "installing $* with apt-get" >&2
    until $sudo apt-get -o DPkg::Lock::Timeout="$wait" update -qq >/dev/null 2>"${TMPDIR:-/tmp}/apt-update.$$"; do
        if ! grep -q "Could not get lock" "${TMPDIR:-/tmp}/apt-update.$$" || [ "$waited" -ge "$wait" ]; then
            cat "${TMPDIR:-/tmp}/apt-update.$$" >&2
            rm -f "${TMPDIR:-/tmp}/apt-update.$$"
            return 1
        fi
        echo "apt-get update: another apt holds the package lists; waiting" >&2
        sleep 5
        waited=$((waited + 5))
    done
    rm -f "${TMPDIR:-/tmp}/apt-update.$$"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout="$wait" \
        install -y -qq "$@" >/dev/null
}
