#!/usr/bin/env bash
# Sets up HashiCorp Vault for stixhub, with the `vault` CLI and an admin
# token (VAULT_ADDR, VAULT_TOKEN). Safe to run again.
#
#   setup.sh hub OUTDIR     the hub: Transit engine and the hub's ed25519 key
#                           (stixhub-hub), KV v2 at secret/ for the registry, the
#                           stixhub-hub policy (hub.hcl) and an AppRole; writes
#                           OUTDIR/role-id and OUTDIR/secret-id (0600) for
#                           stixhubd --vault-role-id-file/--vault-secret-id-file.
#   setup.sh member NAME    a member's ed25519 signing key NAME and the policy
#                           stixhub-member-NAME that may sign with it and nothing
#                           else; prints a token with only that policy. Run it on
#                           the member's own Vault: the key never leaves it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${VAULT_ADDR:?set VAULT_ADDR}"

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

ensure_engine() { # ensure_engine <path> <type> [options...]
  local path=$1 type=$2; shift 2
  local mounts
  mounts=$(vault secrets list -format=json) # not piped into grep -q: SIGPIPE + pipefail
  if [[ "$mounts" != *"\"$path/\""* ]]; then
    vault secrets enable -path="$path" "$@" "$type" >/dev/null
  fi
}

ensure_ed25519_key() { # ensure_ed25519_key <name>
  if ! vault read -format=json "transit/keys/$1" >/dev/null 2>&1; then
    vault write -f "transit/keys/$1" type=ed25519 >/dev/null
    echo "created transit key $1 (ed25519)" >&2
  fi
}

case "${1:-}" in
hub)
  out="${2:?usage: setup.sh hub OUTDIR}"
  ensure_engine transit transit
  ensure_engine secret kv -version=2
  # Keep the full history of every registry record (key added, rotated, revoked).
  vault write secret/config max_versions=1000 >/dev/null
  ensure_ed25519_key stixhub-hub
  vault policy write stixhub-hub "$here/hub.hcl" >/dev/null
  auths=$(vault auth list -format=json)
  if [[ "$auths" != *'"approle/"'* ]]; then
    vault auth enable approle >/dev/null
  fi
  vault write auth/approle/role/stixhub-hub token_policies=stixhub-hub \
    token_ttl=1h token_max_ttl=24h secret_id_ttl=0 >/dev/null
  mkdir -p "$out"
  (umask 077
   vault read -field=role_id auth/approle/role/stixhub-hub/role-id > "$out/role-id"
   vault write -f -field=secret_id auth/approle/role/stixhub-hub/secret-id > "$out/secret-id")
  echo "hub ready: policy stixhub-hub, AppRole credentials in $out/role-id and $out/secret-id" >&2
  ;;
member)
  name="${2:?usage: setup.sh member NAME}"
  [[ "$name" =~ ^[a-z0-9][a-z0-9-]*$ ]] || { echo "member key name: lowercase letters, digits and dashes" >&2; exit 2; }
  [ "$name" != stixhub-hub ] || { echo "stixhub-hub is the hub's key" >&2; exit 2; }
  ensure_engine transit transit
  ensure_ed25519_key "$name"
  sed "s/@KEY@/$name/g" "$here/member.hcl.tmpl" | vault policy write "stixhub-member-$name" - >/dev/null
  vault token create -policy="stixhub-member-$name" -no-default-policy -field=token
  echo "member key $name ready; the token above may sign with it and nothing else" >&2
  ;;
*) usage ;;
esac
