#!/bin/sh
# A self-signed TLS certificate for development and tests: tls.crt and tls.key
# in the folder given (default /certs), for TLS_DEV_HOSTNAME (default
# localhost) plus localhost, 127.0.0.1 and ::1, valid TLS_DEV_DAYS days
# (default 30). An existing certificate valid for at least another day is kept.
#
# docker-compose.yml runs it once at start (service `certs`, writing to the
# `certs` volume nginx reads); scripts/nginx-check runs it for its local nginx.
# Needs only a POSIX shell and the openssl command. For production, mount a
# real certificate in place of the volume.
set -eu

dir="${1:-${CERT_DIR:-/certs}}"
name="${TLS_DEV_HOSTNAME:-localhost}"
days="${TLS_DEV_DAYS:-30}"

if [ -s "$dir/tls.crt" ] && [ -s "$dir/tls.key" ] \
    && openssl x509 -checkend 86400 -noout -in "$dir/tls.crt" >/dev/null 2>&1; then
    echo "make-dev-cert: keeping the certificate in $dir"
    exit 0
fi

mkdir -p "$dir"
umask 077
openssl req -x509 -nodes -days "$days" \
    -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -subj "/CN=$name" \
    -addext "subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1,IP:::1" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$dir/tls.key.new" -out "$dir/tls.crt.new" 2>/dev/null
chmod 0644 "$dir/tls.crt.new"
chmod 0600 "$dir/tls.key.new"
mv "$dir/tls.key.new" "$dir/tls.key"
mv "$dir/tls.crt.new" "$dir/tls.crt"
echo "make-dev-cert: wrote a self-signed certificate for $name to $dir ($days days)"
