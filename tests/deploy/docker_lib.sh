# Shared by tests/deploy/*.sh: a Docker engine and the Debian base image,
# both made here without any registry. Source it; call docker_up first.
#
# DOCKER is Debian's client (docker.io): it has BuildKit built in.

DOCKER=${DOCKER:-/usr/bin/docker}
DOCKERD_PID=

# Starts dockerd unless one answers; docker_down stops only the one started here.
docker_up() {
  if timeout 10 "$DOCKER" info >/dev/null 2>&1; then return 0; fi
  local log=${TMPDIR:-/tmp}/tensord-dockerd.log
  /usr/sbin/dockerd --host unix:///var/run/docker.sock \
    --data-root "${DOCKER_DATA_ROOT:-/var/lib/docker}" >"$log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 60); do
    timeout 5 "$DOCKER" info >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "dockerd did not start; its log:" >&2
  tail -30 "$log" >&2
  return 1
}

docker_down() {
  if [[ -n "$DOCKERD_PID" ]]; then
    kill "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" 2>/dev/null || true
    DOCKERD_PID=
  fi
}

# The Debian mirrors this machine's apt uses (never written into the repo).
apt_mirror() {  # $1: 1 = main archive, 2 = security
  awk -v n="$1" '/^URIs:/ { if (++i == n) { print $2; exit } }' \
    /etc/apt/sources.list.d/debian.sources 2>/dev/null
}

# Makes debian:bookworm-slim from the Debian mirror when no registry can
# provide it: debootstrap minbase, trimmed like the official image, imported.
ensure_debian_base() {
  "$DOCKER" image inspect debian:bookworm-slim >/dev/null 2>&1 && return 0
  local mirror security rootfs
  mirror=$(apt_mirror 1)
  security=$(apt_mirror 2)
  if [[ -z "$mirror" ]]; then
    echo "no Debian mirror in /etc/apt/sources.list.d/debian.sources" >&2
    return 1
  fi
  rootfs=$(mktemp -d "${TMPDIR:-/tmp}/tensord-rootfs.XXXXXX")
  echo "building debian:bookworm-slim with debootstrap from the apt mirror"
  if ! timeout 900 debootstrap --variant=minbase bookworm "$rootfs" "$mirror" \
      >"$rootfs.log" 2>&1; then
    tail -20 "$rootfs.log" >&2
    rm -rf "$rootfs" "$rootfs.log"
    return 1
  fi
  {
    echo "deb $mirror bookworm main"
    echo "deb $mirror bookworm-updates main"
    [[ -n "$security" ]] && echo "deb $security bookworm-security main"
  } >"$rootfs/etc/apt/sources.list"
  printf '%s\n' \
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
    'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' \
    >"$rootfs/etc/apt/apt.conf.d/docker-clean"
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-exclude /usr/share/man/*' \
    'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' \
    >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-minimal"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
    "$rootfs"/usr/share/locale/*
  tar --numeric-owner -C "$rootfs" -c . |
    "$DOCKER" import --change 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
  rm -rf "$rootfs" "$rootfs.log"
}
