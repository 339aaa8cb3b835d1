#!/usr/bin/env bash
# Makes a development CA, a server certificate, a client certificate (mTLS)
# and a bearer-token file for deploy/docker-compose.yml and deploy/k8s:
#
#   deploy/dev-certs.sh [DIR]        # default DIR: deploy/dev-certs
#
# DIR gets ca.crt ca.key server.crt server.key client.crt client.key tokens.
# The server certificate names localhost, 127.0.0.1, tensord, tensord-proxy
# and the in-cluster names of deploy/k8s (namespace tensord), plus any names
# in $TENSORD_CERT_NAMES (space-separated). For development only: the keys
# are readable by the container's user (uid 10001) through a bind mount.
# Production: certificates from your CA (cert-manager, ...), tokens from a
# secret store.
set -euo pipefail
DIR=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/dev-certs}
mkdir -p "$DIR"
cd "$DIR"
DAYS=${TENSORD_CERT_DAYS:-365}

names=(localhost tensord tensord-proxy tensord.tensord.svc tensord-proxy.tensord.svc
       "*.tensord.tensord.svc" "*.tensord.tensord.svc.cluster.local"
       tensord-proxy.tensord.svc.cluster.local ${TENSORD_CERT_NAMES:-})
san="IP:127.0.0.1,IP:::1"
for n in "${names[@]}"; do san+=",DNS:$n"; done

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$DAYS" \
  -subj "/CN=tensord development CA" -keyout ca.key -out ca.crt 2>/dev/null

issue() {  # NAME CN EXTENSIONS
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
    -keyout "$1.key" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$DAYS" \
    -extfile <(printf '%s\n' "$3") -out "$1.crt" 2>/dev/null
  rm -f "$1.csr"
}
issue server tensord "subjectAltName=$san
extendedKeyUsage=serverAuth"
issue client tensord-dev-client "extendedKeyUsage=clientAuth"
rm -f ca.srl

# "IDENTITY TOKEN" lines (tensord --auth-tokens).
if [[ ! -s tokens ]]; then
  echo "dev $(openssl rand -hex 24)" >tokens
fi
chmod 0644 server.key client.key tokens  # read through a bind mount by uid 10001
chmod 0600 ca.key
echo "wrote $DIR: ca.crt, server.crt/.key, client.crt/.key, tokens (IDENTITY TOKEN lines)"
