# Policy for stixhubd (every hub node). Least privilege: sign receipts with
# the hub's own Transit key, and keep the member registry under
# secret/stixhub/registry. Nothing else: no other key, no other secret.

# Read the hub key's public half (to derive its key id) and sign with it.
path "transit/keys/stixhub-hub" {
  capabilities = ["read"]
}
path "transit/sign/stixhub-hub" {
  capabilities = ["update"]
}

# The member registry (KV v2 mounted at secret/): records, their versions,
# and listing them.
path "secret/data/stixhub/registry/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "secret/metadata/stixhub/registry/*" {
  capabilities = ["read", "list"]
}
