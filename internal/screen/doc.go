// Package screen answers "is this wallet, IP address, domain or hash
// known?": an index from concrete observables to the accepted objects that
// name them, with the rules a screening decision needs.
//
// Read extracts from an accepted STIX object the observables it names: the
// comparisons of an indicator's pattern that name a concrete value (=, IN,
// ISSUBSET with a CIDR block), the cyber-observables inside an
// observed-data or referenced by it, and cyber-observables published on
// their own. Index keeps the latest version of every object and looks
// observables up in well under a microsecond: exact values through a hash
// map, IP addresses also against every indexed CIDR block that contains them
// (one probe per prefix length in use, IPv4 and IPv6).
//
// Values are compared in the form Normalize gives them: hashes, domain
// names, e-mail and MAC addresses without regard to letter case; wallet
// addresses exactly, since Base58 and Bech32 addresses are case-sensitive
// (EVM addresses, 0x and 40 hex digits, excepted: their case is only a
// checksum).
//
// Every match carries the object's id, publishing member, key, TLP, validity
// and confidence, and a Status: only StatusLive counts. Revoked objects
// (latest version wins) and objects signed by a key the hub no longer trusts
// (Config.KeyTrust) are left out unless asked for; expired indicators are
// reported as StatusExpired. Who may see which object is the caller's
// decision (LookupOptions.MayRead).
//
// The hub keeps one Index fed by a tail of its stream; the client library's
// Screener keeps one inside the member, fed by Subscribe.
package screen
