#!/bin/sh
# autogen.sh: prepare a git checkout of Encore for building.
#
#   ./autogen.sh                 generate ./configure (autoreconf)
#   ./autogen.sh --install-deps  install the Debian 12 packages Encore needs
#                                (apt-get; through sudo when not root)
#   ./autogen.sh --quickstart    install what is missing, configure and build
#                                in ./build, then start the private stack
#                                (build/src/stack/encore-stack start) and print
#                                its URL, CA file and credentials
#
# --quickstart passes $CONFIGURE_FLAGS to configure (e.g. --enable-debug).
set -eu

top=$(cd "$(dirname "$0")" && pwd)
cd "$top"

# Build and run-time dependencies, by Debian 12 package name. nginx and npm
# are added only when no nginx or npm is installed (any flavour will do).
PACKAGES="build-essential autoconf automake libtool pkg-config make cmake
  libfcgi-dev libmariadb-dev mariadb-server mariadb-client libjson-c-dev
  libjwt-dev libmemcached-dev memcached libcurl4-openssl-dev libsodium-dev
  libssl-dev libwebsockets-dev openssl ca-certificates curl wrk iproute2
  libopenblas-dev liblapacke-dev libpng-dev libjpeg62-turbo-dev libwebp-dev
  python3 python3-requests python3-jsonschema python3-yaml
  python3-websockets chromium python3-pylast python3-cryptography python3-h2
  prometheus prometheus-nginx-exporter prometheus-mysqld-exporter
  tzdata librsvg2-bin logrotate galera-4 rsync"

# missing_packages: the packages of $PACKAGES (and nginx, npm) not installed.
missing_packages() {
  for p in $PACKAGES; do
    s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$s" = installed ] || printf '%s ' "$p"
  done
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || printf 'nginx-light '
  command -v npm >/dev/null 2>&1 || printf 'npm '
}

# as_root CMD...: run CMD as root (sudo when needed).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "autogen.sh: need root for: $*" >&2
    exit 1
  fi
}

# install_deps [always]: apt-get install what is missing; with "always", run
# apt-get update and install the whole list (what CI does on a fresh machine).
install_deps() {
  command -v apt-get >/dev/null 2>&1 || {
    echo "autogen.sh: no apt-get: install the packages of autogen.sh by hand" >&2
    return 0
  }
  missing=$(missing_packages)
  if [ "${1:-}" = always ]; then
    missing="$PACKAGES $missing"
  elif [ -z "$missing" ]; then
    return 0
  fi
  echo "autogen.sh: installing $missing"
  # On CI, packages must not start the system services (mariadb, memcached,
  # nginx) that Encore never uses: the private stack runs its own. Debian's
  # policy-rc.d hook says so for the time of the installation.
  policy=
  if [ "${1:-}" = always ] && [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 0755 "$policy"
  fi
  rc=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    as_root env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -q --no-install-recommends $missing || rc=$?
  [ -z "$policy" ] || as_root rm -f "$policy"
  return $rc
}

reconf() {
  mkdir -p m4
  autoreconf -fi
}

case ${1:-} in
  "")
    reconf
    ;;
  --install-deps)
    install_deps "${2:-}"
    ;;
  --quickstart)
    install_deps
    reconf
    mkdir -p build
    cd build
    # shellcheck disable=SC2086
    ../configure ${CONFIGURE_FLAGS:-}
    make -j"$(nproc 2>/dev/null || echo 2)"
    exec src/stack/encore-stack start
    ;;
  *)
    sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 2
    ;;
esac
