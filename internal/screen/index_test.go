package screen

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"maps"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stixhub/stixhub/internal/marking"
)

var (
	t0     = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cursor uint64
)

// indicator returns an indicator's JSON with the pattern and extra
// properties.
func indicator(id, pat string, extra map[string]any) []byte {
	o := map[string]any{
		"type": "indicator", "spec_version": "2.1", "id": id,
		"created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
		"pattern": pat, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
	}
	for k, v := range extra {
		o[k] = v
	}
	b, _ := json.Marshal(o)
	return b
}

// add reads obj and adds it as published by member.
func add(t *testing.T, x *Index, member string, obj []byte) *Object {
	t.Helper()
	o, err := Read(obj)
	if err != nil {
		t.Fatalf("Read: %v\n%s", err, obj)
	}
	cursor++
	o.Source = Source{MemberID: member, KeyID: "key-" + member, Cursor: cursor, AcceptedAt: t0}
	x.Add(o)
	return o
}

func lookup(t *testing.T, x *Index, typ, v string, opts LookupOptions) []Match {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = t0.Add(time.Hour)
	}
	ms, err := x.Lookup(nil, Observable{Type: typ, Value: v}, opts)
	if err != nil {
		t.Fatalf("Lookup(%s, %q): %v", typ, v, err)
	}
	return ms
}

func ids(ms []Match) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.ObjectID+"/"+string(m.Status))
	}
	return strings.Join(s, ",")
}

func id(n int) string { return fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n) }

func TestEachObservableKind(t *testing.T) {
	x := New(Config{})
	sha256 := strings.Repeat("ab", 32)
	md5 := strings.Repeat("cd", 16)
	sha1 := strings.Repeat("ef", 20)
	patterns := []string{
		"[ipv4-addr:value = '198.51.100.7']",
		"[ipv6-addr:value = '2001:db8::7']",
		"[domain-name:value = 'wallet-drain.example']",
		"[url:value = 'https://Evil.Example/path?A=1']",
		"[email-addr:value = 'lazarus@mail.example']",
		"[file:hashes.'SHA-256' = '" + sha256 + "']",
		"[file:hashes.MD5 = '" + md5 + "' OR file:hashes.'SHA-1' = '" + sha1 + "']",
		"[cryptocurrency-wallet:value = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT']",
		"[cryptocurrency-transaction:hash = '" + strings.Repeat("9f", 32) + "']",
		"[mac-addr:value = '00:11:22:aa:bb:cc']",
		"[mutex:name = 'Global\\\\LazarusMutex']",
		"[autonomous-system:number = 64500]",
		"[network-traffic:dst_ref.value = '203.0.113.9' AND network-traffic:dst_port = 443]",
		"[cryptocurrency-wallet:value IN ('bc1qset1', 'bc1qset2')]",
		"[x-bank-account:value = 'DE89370400440532013000']",
	}
	for i, p := range patterns {
		add(t, x, "member-a", indicator(id(i), p, nil))
	}
	for _, c := range []struct {
		typ, value string
		want       int // pattern index
	}{
		{TypeIPv4, "198.51.100.7", 0},
		{TypeIPv6, "2001:DB8:0::7", 1},
		{TypeDomain, "wallet-drain.example", 2},
		{TypeURL, "HTTPS://evil.example/path?A=1", 3},
		{TypeEmail, "lazarus@mail.example", 4},
		{TypeFile, sha256, 5},
		{TypeFile, md5, 6},
		{TypeFile, sha1, 6},
		{TypeWallet, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", 7},
		{TypeTransaction, strings.Repeat("9F", 32), 8},
		{TypeMAC, "00:11:22:AA:BB:CC", 9},
		{TypeMutex, `Global\LazarusMutex`, 10},
		{TypeAS, "64500", 11},
		{TypeIPv4, "203.0.113.9", 12},
		{TypeWallet, "bc1qset2", 13},
		{"x-bank-account", "DE89370400440532013000", 14},
	} {
		ms := lookup(t, x, c.typ, c.value, LookupOptions{})
		if len(ms) != 1 || ms[0].ObjectID != id(c.want) || !ms[0].Live() {
			t.Errorf("%s %q: got %s, want %s live", c.typ, c.value, ids(ms), id(c.want))
		}
	}
	// Values the patterns do not name.
	for _, q := range []Observable{{TypeIPv4, "198.51.100.8"}, {TypeURL, "https://evil.example/path?a=1"},
		{TypeWallet, "bc1qset3"}, {TypeDomain, "drain.example"}, {TypeFile, strings.Repeat("ab", 16)}} {
		if ms := lookup(t, x, q.Type, q.Value, LookupOptions{}); len(ms) != 0 {
			t.Errorf("%v matched %s", q, ids(ms))
		}
	}
	if n, objs := x.Len(); n != 17 || objs != len(patterns) {
		t.Errorf("Len = %d observables, %d objects; want 17, %d", n, objs, len(patterns))
	}
}

func TestMatchCarriesProvenance(t *testing.T) {
	x := New(Config{})
	add(t, x, "member-a", indicator(id(1), "[cryptocurrency-wallet:value = 'bc1qprov']", map[string]any{
		"valid_until": "2027-01-01T00:00:00Z", "confidence": 85,
		"object_marking_refs": []string{marking.Amber.ID()},
	}))
	ms := lookup(t, x, TypeWallet, "bc1qprov", LookupOptions{})
	if len(ms) != 1 {
		t.Fatalf("got %d matches", len(ms))
	}
	m := ms[0]
	want := Match{
		Observable: Observable{TypeWallet, "bc1qprov"}, ObjectID: id(1), ObjectType: "indicator",
		Via: "cryptocurrency-wallet:value =", Status: StatusLive, TLP: marking.Amber,
		ValidFrom: t0, ValidUntil: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Modified: t0, Confidence: 85,
		Source: Source{MemberID: "member-a", KeyID: "key-member-a", Cursor: m.Cursor, AcceptedAt: t0},
	}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Errorf("match\n got %+v\nwant %+v", m, want)
	}
}

func TestCIDRContainment(t *testing.T) {
	x := New(Config{})
	add(t, x, "m", indicator(id(1), "[ipv4-addr:value ISSUBSET '10.0.0.0/8']", nil))
	add(t, x, "m", indicator(id(2), "[ipv4-addr:value = '192.168.0.0/16']", nil))
	add(t, x, "m", indicator(id(3), "[ipv4-addr:value = '10.1.2.0/24']", nil))
	add(t, x, "m", indicator(id(4), "[ipv6-addr:value ISSUBSET '2001:db8::/32']", nil))
	add(t, x, "m", indicator(id(5), "[ipv6-addr:value = '2001:db8:aa::/48' OR ipv4-addr:value = '172.16.0.1/32']", nil))
	for _, c := range []struct {
		typ, value, want string
	}{
		{TypeIPv4, "10.1.2.3", id(3) + "/live," + id(1) + "/live"},
		{TypeIPv4, "10.200.0.1", id(1) + "/live"},
		{TypeIPv4, "11.0.0.1", ""},
		{TypeIPv4, "192.168.77.1", id(2) + "/live"},
		{TypeIPv4, "10.1.0.0/16", id(1) + "/live"},
		{TypeIPv4, "0.0.0.0/0", ""},
		{TypeIPv4, "172.16.0.1", id(5) + "/live"},
		{TypeIPv4, "::ffff:10.9.9.9", id(1) + "/live"},
		{TypeIPv6, "2001:db8::1", id(4) + "/live"},
		{TypeIPv6, "2001:db8:aa::5", id(5) + "/live," + id(4) + "/live"},
		{TypeIPv6, "2001:db9::1", ""},
	} {
		if got := ids(lookup(t, x, c.typ, c.value, LookupOptions{})); got != c.want {
			t.Errorf("%s: got %q, want %q", c.value, got, c.want)
		}
	}
	ms := lookup(t, x, TypeIPv4, "10.1.2.3", LookupOptions{})
	if ms[0].Observable.Value != "10.1.2.0/24" || ms[1].Observable.Value != "10.0.0.0/8" {
		t.Errorf("a CIDR match names the block: %v, %v", ms[0].Observable, ms[1].Observable)
	}
	// Removing the only /8 drops the length from the probes.
	add(t, x, "m", indicator(id(1), "[ipv4-addr:value = '1.1.1.1']", map[string]any{"modified": "2026-02-01T00:00:00.000Z"}))
	if got := ids(lookup(t, x, TypeIPv4, "10.200.0.1", LookupOptions{})); got != "" {
		t.Errorf("after the /8 indicator changed: %q", got)
	}
	if x.present[0][0] != 24 || len(x.present[0]) != 2 {
		t.Errorf("IPv4 lengths probed: %v, want [24 16]", x.present[0])
	}
}

func TestCaseRules(t *testing.T) {
	x := New(Config{})
	sha := strings.Repeat("Ab", 32)
	add(t, x, "m", indicator(id(1), "[file:hashes.'SHA-256' = '"+sha+"']", nil))
	add(t, x, "m", indicator(id(2), "[domain-name:value = 'Wallet-Drain.Example.']", nil))
	add(t, x, "m", indicator(id(3), "[cryptocurrency-wallet:value = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT']", nil))
	add(t, x, "m", indicator(id(4), "[cryptocurrency-wallet:value = '0x52908400098527886E0F7030069857D2E4169EE7']", nil))
	for _, c := range []struct {
		typ, value string
		match      bool
	}{
		{TypeFile, strings.ToUpper(sha), true},
		{TypeFile, strings.ToLower(sha), true},
		{TypeDomain, "WALLET-DRAIN.EXAMPLE", true},
		{TypeDomain, "wallet-drain.example.", true},
		{TypeWallet, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", true},
		{TypeWallet, "1boatslrhtknngkdxeeobr76b53letpyt", false},
		{TypeWallet, "1BOATSLRHTKNNGKDXEEOBR76B53LETTPYT", false},
		{TypeWallet, "0x52908400098527886e0f7030069857d2e4169ee7", true}, // EIP-55 case is a checksum
	} {
		if got := len(lookup(t, x, c.typ, c.value, LookupOptions{})) == 1; got != c.match {
			t.Errorf("%s %q: matched %v, want %v", c.typ, c.value, got, c.match)
		}
	}
}

func TestNotConcreteComparisonsAreNotIndexed(t *testing.T) {
	x := New(Config{})
	add(t, x, "m", indicator(id(1), "[domain-name:value != 'a.example' AND domain-name:value NOT = 'b.example'] OR "+
		"[domain-name:value LIKE 'c.example' OR domain-name:value MATCHES '^d\\\\.example$'] OR "+
		"[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8' OR ipv4-addr:value ISSUPERSET '11.0.0.0/8'] OR "+
		"[domain-name:value NOT IN ('e.example')] OR [file:name = 'f.example']", nil))
	for _, q := range []Observable{{TypeDomain, "a.example"}, {TypeDomain, "b.example"}, {TypeDomain, "c.example"},
		{TypeDomain, "d.example"}, {TypeIPv4, "10.0.0.1"}, {TypeIPv4, "11.0.0.1"}, {TypeDomain, "e.example"}} {
		if ms := lookup(t, x, q.Type, q.Value, LookupOptions{}); len(ms) != 0 {
			t.Errorf("%v matched %s", q, ids(ms))
		}
	}
	if n, _ := x.Len(); n != 0 {
		t.Errorf("%d observables indexed, want 0", n)
	}
}

func TestValidity(t *testing.T) {
	x := New(Config{})
	add(t, x, "m", indicator(id(1), "[domain-name:value = 'old.example']", map[string]any{"valid_until": "2026-01-01T01:00:00Z"}))
	add(t, x, "m", indicator(id(2), "[domain-name:value = 'later.example']", map[string]any{"valid_from": "2026-06-01T00:00:00Z"}))
	at := func(d time.Duration, v string) string {
		return ids(lookup(t, x, TypeDomain, v, LookupOptions{Now: t0.Add(d)}))
	}
	if got := at(30*time.Minute, "old.example"); got != id(1)+"/live" {
		t.Errorf("before valid_until: %s", got)
	}
	if got := at(time.Hour, "old.example"); got != id(1)+"/expired" {
		t.Errorf("at valid_until: %s, want expired", got)
	}
	if got := at(time.Hour, "later.example"); got != id(2)+"/not-yet-valid" {
		t.Errorf("before valid_from: %s", got)
	}
	if got := at(200*24*time.Hour, "later.example"); got != id(2)+"/live" {
		t.Errorf("after valid_from: %s", got)
	}
}

func TestRevocationLatestVersionWins(t *testing.T) {
	x := New(Config{})
	v1 := indicator(id(1), "[cryptocurrency-wallet:value = 'bc1qv1']", nil)
	v2 := indicator(id(1), "[cryptocurrency-wallet:value = 'bc1qv2']", map[string]any{"modified": "2026-02-01T00:00:00.000Z"})
	v3 := indicator(id(1), "[cryptocurrency-wallet:value = 'bc1qv2']", map[string]any{"modified": "2026-03-01T00:00:00.000Z", "revoked": true})
	add(t, x, "m", v1)
	add(t, x, "m", v2)
	if got := ids(lookup(t, x, TypeWallet, "bc1qv1", LookupOptions{})); got != "" {
		t.Errorf("value of the superseded version still matches: %s", got)
	}
	if got := ids(lookup(t, x, TypeWallet, "bc1qv2", LookupOptions{})); got != id(1)+"/live" {
		t.Errorf("new version: %s", got)
	}
	add(t, x, "m", v3)
	if got := ids(lookup(t, x, TypeWallet, "bc1qv2", LookupOptions{})); got != "" {
		t.Errorf("revoked indicator reported: %s", got)
	}
	if got := ids(lookup(t, x, TypeWallet, "bc1qv2", LookupOptions{IncludeRevoked: true})); got != id(1)+"/revoked" {
		t.Errorf("with IncludeRevoked: %s", got)
	}
	// An older version arriving late (a replay, another node) changes nothing.
	add(t, x, "m", v2)
	add(t, x, "m", v1)
	if got := ids(lookup(t, x, TypeWallet, "bc1qv2", LookupOptions{IncludeRevoked: true})); got != id(1)+"/revoked" {
		t.Errorf("after older versions again: %s", got)
	}
	if n, objs := x.Len(); n != 1 || objs != 1 {
		t.Errorf("Len = %d, %d; want 1, 1", n, objs)
	}
}

func TestKeyTrust(t *testing.T) {
	distrusted := map[string]bool{"key-mallory": true}
	x := New(Config{KeyTrust: func(keyID string, acceptedAt time.Time) bool { return !distrusted[keyID] }})
	add(t, x, "alice", indicator(id(1), "[domain-name:value = 'k.example']", nil))
	add(t, x, "mallory", indicator(id(2), "[domain-name:value = 'k.example']", nil))
	if got := ids(lookup(t, x, TypeDomain, "k.example", LookupOptions{})); got != id(1)+"/live" {
		t.Errorf("got %s, want only alice's", got)
	}
	if got := ids(lookup(t, x, TypeDomain, "k.example", LookupOptions{IncludeRevoked: true})); got != id(1)+"/live,"+id(2)+"/key-compromised" {
		t.Errorf("with IncludeRevoked: %s", got)
	}
	// Trust is judged at lookup time: a key distrusted later takes effect at once.
	distrusted["key-alice"] = true
	if got := ids(lookup(t, x, TypeDomain, "k.example", LookupOptions{})); got != "" {
		t.Errorf("after distrusting alice's key: %s", got)
	}
}

func TestMayRead(t *testing.T) {
	x := New(Config{})
	add(t, x, "alice", indicator(id(1), "[domain-name:value = 'acl.example']", nil))
	add(t, x, "bob", indicator(id(2), "[domain-name:value = 'acl.example']", nil))
	var asked []string
	ms := lookup(t, x, TypeDomain, "acl.example", LookupOptions{MayRead: func(m *Match) bool {
		asked = append(asked, m.MemberID)
		return m.MemberID == "bob"
	}})
	if ids(ms) != id(2)+"/live" || strings.Join(asked, ",") != "alice,bob" {
		t.Errorf("matches %s, asked about %v", ids(ms), asked)
	}
}

func TestObservedDataAndCyberObservables(t *testing.T) {
	x := New(Config{})
	wallet := func(id, v string) []byte {
		return []byte(`{"type":"cryptocurrency-wallet","spec_version":"2.1","id":"` + id + `","value":"` + v +
			`","extensions":{"extension-definition--89126a49-4d35-474b-90b9-bde9e93d0215":{"extension_type":"new-sco"}}}`)
	}
	od := func(id, body string) []byte {
		return []byte(`{"type":"observed-data","spec_version":"2.1","id":"` + id + `","created":"2026-01-01T00:00:00.000Z",` +
			`"modified":"2026-01-01T00:00:00.000Z","first_observed":"2026-01-01T00:00:00Z","last_observed":"2026-01-01T00:00:00Z","number_observed":1,` + body + `}`)
	}
	w1 := "cryptocurrency-wallet--11111111-1111-4111-8111-111111111111"
	w2 := "cryptocurrency-wallet--22222222-2222-4222-8222-222222222222"
	od1 := "observed-data--33333333-3333-4333-8333-333333333333"
	od2 := "observed-data--44444444-4444-4444-8444-444444444444"
	add(t, x, "m", wallet(w1, "bc1qsco1"))
	add(t, x, "m", od(od1, `"object_refs":["`+w1+`","`+w2+`","identity--55555555-5555-4555-8555-555555555555"]`))
	add(t, x, "m", wallet(w2, "bc1qsco2")) // after the observed-data that references it
	add(t, x, "m", od(od2, `"objects":{"0":{"type":"file","hashes":{"SHA-256":"`+strings.Repeat("0f", 32)+`"}},"1":{"type":"ipv4-addr","value":"198.51.100.99"}}`))
	add(t, x, "m", []byte(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--66666666-6666-4666-8666-666666666666","value":"198.51.100.99"}`))

	if got := ids(lookup(t, x, TypeWallet, "bc1qsco1", LookupOptions{})); got != w1+"/live,"+od1+"/live" {
		t.Errorf("wallet before observed-data: %s", got)
	}
	if got := ids(lookup(t, x, TypeWallet, "bc1qsco2", LookupOptions{})); got != w2+"/live,"+od1+"/live" {
		t.Errorf("wallet after observed-data: %s", got)
	}
	ms := lookup(t, x, TypeWallet, "bc1qsco2", LookupOptions{})
	if ms[1].Via != "object_refs "+w2+": value" {
		t.Errorf("via = %q", ms[1].Via)
	}
	if got := ids(lookup(t, x, TypeFile, strings.Repeat("0F", 32), LookupOptions{})); got != od2+"/live" {
		t.Errorf("hash inside observed-data objects: %s", got)
	}
	if got := ids(lookup(t, x, TypeIPv4, "198.51.100.99", LookupOptions{})); got != od2+"/live,ipv4-addr--66666666-6666-4666-8666-666666666666/live" {
		t.Errorf("address: %s", got)
	}
	// Objects that are not screened.
	if _, err := Read([]byte(`{"type":"malware","id":"malware--77777777-7777-4777-8777-777777777777","name":"x"}`)); err != ErrNotScreened {
		t.Errorf("malware: %v, want ErrNotScreened", err)
	}
}

func TestNormalizeRefusesValuesOfAnotherType(t *testing.T) {
	x := New(Config{})
	for _, q := range []Observable{{TypeIPv4, "2001:db8::1"}, {TypeIPv6, "10.0.0.1"}, {TypeIPv4, "not-an-ip"}, {TypeWallet, "  "}} {
		if _, err := x.Lookup(nil, q, LookupOptions{}); err == nil {
			t.Errorf("%v: no error", q)
		}
	}
}

func TestInferTypes(t *testing.T) {
	for _, c := range []struct{ v, want string }{
		{"198.51.100.7", "ipv4-addr"},
		{"10.0.0.0/8", "ipv4-addr"},
		{"2001:db8::1", "ipv6-addr"},
		{"2001:db8::/32", "ipv6-addr"},
		{strings.Repeat("a", 32), "file"},
		{strings.Repeat("a", 40), "file"},
		{strings.Repeat("a", 64), "file,cryptocurrency-transaction"},
		{strings.Repeat("a", 128), "file"},
		{"0x" + strings.Repeat("a", 40), "cryptocurrency-wallet"},
		{"0x" + strings.Repeat("a", 64), "cryptocurrency-transaction"},
		{"https://evil.example/x", "url"},
		{"lazarus@mail.example", "email-addr"},
		{"00:11:22:aa:bb:cc", "mac-addr"},
		{"wallet-drain.example", "domain-name"},
		{"xn--80ak6aa92e.xn--p1ai", "domain-name"},
		{"1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "cryptocurrency-wallet"},
		{"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "cryptocurrency-wallet"},
		{"TN3W4H6rK2ce4vX9YnFQHwKENnHjoxb3m9", "cryptocurrency-wallet"},
		{"1.2.3", "cryptocurrency-wallet"},
	} {
		if got := strings.Join(InferTypes(c.v), ","); got != c.want {
			t.Errorf("InferTypes(%q) = %s, want %s", c.v, got, c.want)
		}
	}
}

func TestKnownAgreesWithLookup(t *testing.T) {
	x := New(Config{})
	add(t, x, "m", indicator(id(1), "[ipv4-addr:value ISSUBSET '10.0.0.0/8'] OR [domain-name:value = 'k.example']", nil))
	add(t, x, "m", indicator(id(2), "[domain-name:value = 'old.example']", map[string]any{"valid_until": "2026-01-01T00:30:00Z"}))
	for _, q := range []Observable{{TypeIPv4, "10.2.3.4"}, {TypeIPv4, "11.2.3.4"}, {TypeDomain, "K.example"}, {TypeDomain, "old.example"}, {TypeDomain, "x.example"}} {
		known, err := x.Known(q, LookupOptions{Now: t0.Add(time.Hour)})
		live := false
		for _, m := range lookup(t, x, q.Type, q.Value, LookupOptions{}) {
			live = live || m.Live()
		}
		if err != nil || known != live {
			t.Errorf("%v: Known = %v %v, Lookup has a live match: %v", q, known, err, live)
		}
	}
	if k, _ := x.Known(Observable{TypeDomain, "k.example"}, LookupOptions{Now: t0.Add(time.Hour), MayRead: func(*Match) bool { return false }}); k {
		t.Error("Known ignores MayRead")
	}
}

// TestReplaceAgreesWithModel replaces objects many times (their values move
// between slots, postings are unlinked, slots deleted, the arena compacted)
// and checks every value against a plain map of what the latest versions
// name.
// TestReplaceAgreesWithModel adds new versions of objects at random, their
// ids in either case, and checks every lookup against what the latest
// versions name: with the real id hash, and with one under which most ids
// collide, so that the index finds objects along collision chains.
func TestReplaceAgreesWithModel(t *testing.T) {
	t.Run("maphash", func(t *testing.T) { testReplaceAgreesWithModel(t, maphash.String) })
	t.Run("colliding ids", func(t *testing.T) {
		testReplaceAgreesWithModel(t, func(_ maphash.Seed, s string) uint64 { return uint64(s[len(s)-1] % 3) })
	})
}

func testReplaceAgreesWithModel(t *testing.T, idHash func(maphash.Seed, string) uint64) {
	x := New(Config{})
	x.idHash = idHash
	rng := rand.New(rand.NewPCG(1, 2))
	const objects, values = 300, 3000
	value := func(k int) Observable {
		switch k % 3 {
		case 0:
			return Observable{TypeWallet, fmt.Sprintf("bc1q%01000d", k)} // long: fills the arena
		case 1:
			return Observable{TypeIPv4, fmt.Sprintf("10.0.%d.%d", k>>8, k&255)}
		}
		return Observable{TypeIPv4, fmt.Sprintf("10.%d.%d.0/24", 100+k%3, k%97)}
	}
	latest := make(map[int][]int) // object -> value numbers
	compactions, arenaLen := 0, 0
	for round := range 30 {
		for range 100 {
			n := rng.IntN(objects)
			var vs []int
			spelling := id(n)
			if rng.IntN(3) == 0 {
				spelling = strings.ToUpper(spelling)
			}
			o := &Object{ID: spelling, Type: "indicator", Modified: t0.Add(time.Duration(round+1) * time.Minute), ValidFrom: t0, Confidence: -1}
			for range rng.IntN(8) {
				k := rng.IntN(values)
				vs = append(vs, k)
				o.Entries = append(o.Entries, Entry{value(k), fmt.Sprintf("via %d", k%5)})
			}
			if x.Add(o) {
				latest[n] = vs
			}
		}
		if len(x.arena) < arenaLen {
			compactions++
		}
		arenaLen = len(x.arena)
		want := make(map[Observable]map[string]int)
		total := 0
		for n, vs := range latest {
			for _, k := range vs {
				q := value(k)
				if want[q] == nil {
					want[q] = map[string]int{}
				}
				want[q][id(n)]++
				total++
			}
		}
		if got, _ := x.Len(); got != total {
			t.Fatalf("round %d: Len = %d, want %d", round, got, total)
		}
		for k := range values {
			q := value(k)
			ms, err := x.Lookup(nil, q, LookupOptions{Now: t0.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, m := range ms {
				if m.Observable.Value == q.Value {
					got[strings.ToLower(m.ObjectID)]++
				}
			}
			if !maps.Equal(got, want[q]) {
				t.Fatalf("round %d: %v: got %v, want %v", round, q, got, want[q])
			}
		}
	}
	if compactions == 0 {
		t.Errorf("arena never compacted: %d of %d bytes garbage", x.garbage, len(x.arena))
	}
}

// TestIndexJudgesAsObjectStatus: the index's compact copy of what a status
// is judged on (nanoseconds, clamped) judges as Object.Status does, at
// times within the int64 nanosecond range and beyond it.
func TestIndexJudgesAsObjectStatus(t *testing.T) {
	times := []time.Time{{}, time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC),
		t0, t0.Add(time.Nanosecond), t0.Add(-time.Nanosecond), time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)}
	for _, from := range times {
		for _, until := range times {
			x := New(Config{})
			o := &Object{ID: id(1), Type: "indicator", ValidFrom: from, ValidUntil: until,
				Entries: []Entry{{Observable{TypeDomain, "j.example"}, "v"}}}
			want := *o
			x.Add(o)
			for _, now := range append(times[1:], time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)) {
				ms, _ := x.Lookup(nil, Observable{TypeDomain, "j.example"}, LookupOptions{Now: now})
				if st := want.Status(now, nil); len(ms) != 1 || ms[0].Status != st {
					t.Errorf("valid %v to %v at %v: %s, want %s", from, until, now, ids(ms), st)
				}
			}
		}
	}
}

// unmix64 inverts mix64.
func unmix64(h uint64) uint64 {
	inverse := func(a uint64) uint64 { // Newton's iteration: a*x = 1 mod 2^64
		x := a
		for range 6 {
			x *= 2 - a*x
		}
		return x
	}
	h ^= h >> 33
	h *= inverse(0xc4ceb9fe1a85ec53)
	h ^= h >> 33
	h *= inverse(0xff51afd7ed558ccd)
	h ^= h >> 33
	return h
}

// TestIPv4HashIsTheKey: the hash of an IPv4 address or block is its key,
// permuted (so a lookup trusts an equal hash without reading the arena),
// and never 0, whatever the random keys of the permutation.
func TestIPv4HashIsTheKey(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		if k := rng.Uint64(); unmix64(mix64(k)) != k {
			t.Fatalf("mix64 is not a permutation at %#x", k)
		}
	}
	// decode returns the 40 significant bits of an IPv4 key from its hash.
	decode := func(x *Index, h uint64) uint64 { return unmix64(unmix64(h)^x.ip4Key[1]) ^ x.ip4Key[0] }
	var buf [ipKeyLen]byte
	edges := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("0.0.0.0/32"),
		netip.MustParsePrefix("255.255.255.255/32"), netip.MustParsePrefix("128.0.0.0/1"), netip.MustParsePrefix("10.1.2.0/24")}
	for _, r := range [][2]uint64{{0, 0}, {^uint64(0), ^uint64(0)}, {0, 1 << 62}, {1 << 40, 0}, {rng.Uint64(), rng.Uint64()}} {
		x := &Index{ip4Key: ip4Keys(r[0], r[1])}
		for _, pf := range edges {
			key := ipKey(&buf, pf)
			h := x.hash(typeIPv4, key)
			if k := uint64(pf.Addr().As4()[0])<<32 | uint64(pf.Addr().As4()[1])<<24 | uint64(pf.Addr().As4()[2])<<16 |
				uint64(pf.Addr().As4()[3])<<8 | uint64(pf.Bits()); h == 0 || decode(x, h) != k {
				t.Errorf("keys from %#x: %v hashes to %#x, decoded %#x, want %#x", r, pf, h, decode(x, h), k)
			}
		}
		// The key that would hash to 0 is beyond the 40 bits of any IPv4 key.
		if k0 := decode(x, 0); k0 < 1<<40 {
			t.Errorf("keys from %#x: IPv4 key %#x hashes to 0", r, k0)
		}
	}

	// In an index: every IPv4 slot's hash decodes to the key in the arena.
	x := New(Config{})
	var entries []Entry
	for i := range 4096 {
		entries = append(entries, Entry{Observable{TypeIPv4, fmt.Sprintf("10.%d.%d.%d", i>>8, i&255, i&1)}, "v"},
			Entry{Observable{TypeIPv4, fmt.Sprintf("10.%d.%d.0/%d", i>>8, i&255, 16+i%9)}, "v"})
	}
	x.Add(&Object{ID: id(1), Type: "indicator", Modified: t0, ValidFrom: t0, Entries: entries})
	n := 0
	for _, tab := range []*table{&x.values, &x.blocks} {
		for _, s := range tab.slots {
			if s.hash == 0 {
				continue
			}
			n++
			key := x.str(s.off, s.n)
			want := uint64(key[12])<<32 | uint64(key[13])<<24 | uint64(key[14])<<16 | uint64(key[15])<<8 | uint64(key[16])
			if s.typ != typeIPv4 || key[:12] != "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff" || decode(x, s.hash) != want {
				t.Fatalf("slot %+v: key %x, hash decodes to %#x", s, key, decode(x, s.hash))
			}
		}
	}
	if n == 0 {
		t.Fatal("no IPv4 slot")
	}
}

// TestIPv4NeighboursDoNotMatch: with exact hashes, an address next to an
// indexed one (one bit apart, or the same bits with another prefix length)
// is not a match; only containment is.
func TestIPv4NeighboursDoNotMatch(t *testing.T) {
	x := New(Config{})
	var entries []Entry
	for i := 0; i < 1<<14; i += 2 {
		entries = append(entries, Entry{Observable{TypeIPv4, fmt.Sprintf("10.9.%d.%d", i>>8, i&255)}, "v"})
	}
	entries = append(entries, Entry{Observable{TypeIPv4, "172.16.0.0/24"}, "v"})
	x.Add(&Object{ID: id(1), Type: "indicator", Modified: t0, ValidFrom: t0, Entries: entries})
	now := LookupOptions{Now: t0.Add(time.Hour)}
	for i := range 1 << 14 {
		q := Observable{TypeIPv4, fmt.Sprintf("10.9.%d.%d", i>>8, i&255)}
		if known, err := x.Known(q, now); err != nil || known != (i%2 == 0) {
			t.Fatalf("%v: Known = %v, %v", q, known, err)
		}
	}
	for _, c := range []struct {
		v     string
		known bool
	}{{"172.16.0.0/24", true}, {"172.16.0.0/25", true}, {"172.16.0.0/23", false}, {"172.16.1.0/24", false},
		{"172.16.0.255", true}, {"172.16.1.0", false}, {"10.9.0.0/31", false}, {"10.9.0.0/32", true}} {
		if known, err := x.Known(Observable{TypeIPv4, c.v}, now); err != nil || known != c.known {
			t.Errorf("%s: Known = %v, %v; want %v", c.v, known, err, c.known)
		}
	}
}

// knownEachType is what KnownUntyped must agree with: Known of each type
// InferTypes gives, in turn.
func knownEachType(x *Index, v string, opts LookupOptions) (bool, error) {
	for _, t := range InferTypes(v) {
		if known, err := x.Known(Observable{Type: t, Value: v}, opts); known || err != nil {
			return known, err
		}
	}
	return false, nil
}

// untypedValues are values of every inferred type, in forms that take each
// branch of KnownUntyped: letter case, surrounding space, final dots,
// non-ASCII text, 0x prefixes, hex of every digest length and others.
func untypedValues() []string {
	vs := []string{"", " ", "\u00a0", "198.51.100.7", " 198.51.100.7\n", "10.0.0.0/8", "10.1.2.3/8", "::ffff:10.9.9.9",
		"2001:DB8::1", "2001:db8::/32", "1.2.3", "1.2.3.4.5", "300.1.1.1", "fe80::1%eth0", "0.0.0.0", "255.255.255.255",
		"256.1.1.1", "01.2.3.4", "1.2.3.04", "1.2.3.0", "1.2.3.4.", ".1.2.3.4", "1..2.3", "1.2.3.4/32", "1.2.3.4/33", "10.0.0.0/08",
		"172.16.200.9", "172.16.200.9/25", "1234", "1.2.3.1000",
		"0x52908400098527886E0F7030069857D2E4169EE7", "0x52908400098527886e0f7030069857d2e4169ee7", "0X52908400098527886E0F7030069857D2E4169EE7",
		"0x" + strings.Repeat("9F", 32), "0x" + strings.Repeat("9f", 31), "0x" + strings.Repeat("Zz", 20),
		"https://Evil.Example/Path", "HTTPS://u@EVIL.example:8443/P?Q#F", "http://localhost/x", "s3://Bucket", "://", "a:/b", "Lazarus@Mail.Example", "lazarus@mail.example", "a b@mail.example", "@mail.example",
		"00:11:22:AA:BB:CC", "00-11-22-aa-bb-cc", "00:11:22:AA:BB:C", "Wallet-Drain.Example", "wallet-drain.example", "Wallet-Drain.Example.",
		"wallet-drain.example. ", "xn--80AK6AA92E.XN--P1AI", "drain.e1", "drain.e", "d_r.example", "d r.example",
		"1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "1boatslrhtknngkdxeeobr76b53letpyt", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
		"BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ", "TN3W4H6rK2ce4vX9YnFQHwKENnHjoxb3m9",
		"Ünïcode.example", "wallet\u00e9", "caf\u00c9@mail.example", "\xff\xfe", "Ⱥ.example", strings.Repeat("Ⱥ", 700),
		strings.Repeat("w", 300), strings.Repeat("W", 2048), strings.Repeat("W", 2049), strings.Repeat("a.", 130) + "example",
	}
	for _, n := range []int{31, 32, 40, 56, 64, 96, 128, 130} {
		vs = append(vs, strings.Repeat("Ab", n/2)+strings.Repeat("c", n%2), strings.Repeat("ab", n/2))
	}
	return vs
}

// TestKnownUntypedAgreesWithInferTypes: KnownUntyped answers as Known of
// each inferred type does, error included, whether the value is indexed
// under one of its types, another case of it, or not at all, and whatever
// its status.
func TestKnownUntypedAgreesWithInferTypes(t *testing.T) {
	vs := untypedValues()
	types := []string{TypeIPv4, TypeIPv6, TypeDomain, TypeURL, TypeEmail, TypeFile, TypeMAC, TypeWallet, TypeTransaction}
	distrusted := map[string]bool{"key-bad": true}
	x := New(Config{KeyTrust: func(keyID string, _ time.Time) bool { return !distrusted[keyID] }})
	for i, v := range vs {
		for j, typ := range types {
			n, err := Normalize(typ, v)
			if err != nil {
				continue
			}
			// Every third value live, the others expired, revoked or
			// signed by a distrusted key, so that both answers occur.
			o := &Object{ID: id(i*100 + j), Type: "indicator", Modified: t0, ValidFrom: t0, Source: Source{KeyID: "key-good"},
				Entries: []Entry{{Observable{typ, n}, "v"}}}
			switch (i + j) % 6 {
			case 1:
				o.ValidUntil = t0.Add(time.Minute)
			case 3:
				o.Revoked = true
			case 5:
				o.KeyID = "key-bad"
			}
			x.Add(o)
		}
	}
	opts := LookupOptions{Now: t0.Add(time.Hour)}
	checked, known := 0, 0
	for _, v := range vs {
		for _, q := range []string{v, strings.ToUpper(v), strings.ToLower(v), " " + v + "\t", v + "."} {
			got, gerr := x.KnownUntyped(q, opts)
			want, werr := knownEachType(x, q, opts)
			if got != want || fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Errorf("KnownUntyped(%q) = %v, %v; Known of each inferred type: %v, %v", q, got, gerr, want, werr)
			}
			checked++
			if want {
				known++
			}
		}
	}
	if known < checked/10 || known > checked*9/10 {
		t.Errorf("%d of %d values known: the test does not tell the answers apart", known, checked)
	}
	// MayRead is asked, as by Known.
	if k, _ := x.KnownUntyped("198.51.100.7", LookupOptions{Now: opts.Now, MayRead: func(*Match) bool { return false }}); k {
		t.Error("KnownUntyped ignores MayRead")
	}
}

// FuzzKnownUntyped: whatever the value, KnownUntyped agrees with Known of
// each inferred type, with the value indexed under each type it normalizes
// to, in upper and in lower case.
func FuzzKnownUntyped(f *testing.F) {
	for _, v := range untypedValues() {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		x := New(Config{})
		var entries []Entry
		for _, typ := range []string{TypeIPv4, TypeIPv6, TypeDomain, TypeURL, TypeEmail, TypeFile, TypeMAC, TypeWallet, TypeTransaction} {
			for _, w := range []string{v, strings.ToUpper(v), strings.ToLower(v)} {
				if n, err := Normalize(typ, w); err == nil {
					entries = append(entries, Entry{Observable{typ, n}, "v"})
				}
			}
		}
		x.Add(&Object{ID: id(1), Type: "indicator", Modified: t0, ValidFrom: t0, Entries: entries})
		opts := LookupOptions{Now: t0.Add(time.Hour)}
		for _, q := range []string{v, strings.ToUpper(v), strings.ToLower(v)} {
			got, gerr := x.KnownUntyped(q, opts)
			want, werr := knownEachType(x, q, opts)
			if got != want || fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Fatalf("KnownUntyped(%q) = %v, %v; Known of each inferred type: %v, %v", q, got, gerr, want, werr)
			}
		}
	})
}

// TestKnownUntypedDoesNotAllocate: the values that take the short way,
// lowered on the stack or not, cost no allocation.
func TestKnownUntypedDoesNotAllocate(t *testing.T) {
	x := New(Config{})
	add(t, x, "m", indicator(id(1), "[domain-name:value = 'drain.example'] OR [ipv4-addr:value = '198.51.100.7'] OR "+
		"[cryptocurrency-wallet:value = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT']", nil))
	for _, v := range []string{"Drain.Example", "198.51.100.7", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", strings.Repeat("AB", 32), "bc1qnotindexed"} {
		if n := testing.AllocsPerRun(100, func() { x.KnownUntyped(v, LookupOptions{}) }); n != 0 {
			t.Errorf("KnownUntyped(%q): %v allocations", v, n)
		}
	}
}

// TestKnownIPv4AgreesWithLookup: Known of an IPv4 address or block (hashed
// from its bits) finds what Lookup (hashed from its key) finds, for blocks
// of every length that contain it or not.
func TestKnownIPv4AgreesWithLookup(t *testing.T) {
	x := New(Config{})
	var entries []Entry
	for _, b := range []int{0, 1, 7, 8, 13, 16, 24, 30, 31} {
		entries = append(entries, Entry{Observable{TypeIPv4, netip.PrefixFrom(netip.MustParseAddr("203.0.113.77"), b).Masked().String()}, "v"})
	}
	entries = append(entries, Entry{Observable{TypeIPv4, "198.51.100.7"}, "v"})
	x.Add(&Object{ID: id(1), Type: "indicator", Modified: t0, ValidFrom: t0, Entries: entries})
	opts := LookupOptions{Now: t0.Add(time.Hour)}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		a := netip.AddrFrom4([4]byte{203, 0, 113, 77})
		if rng.IntN(2) == 0 { // flip one bit, so that some blocks contain it and others not
			b := a.As4()
			bit := rng.IntN(32)
			b[bit/8] ^= 1 << (7 - bit%8)
			a = netip.AddrFrom4(b)
		}
		q := a.String()
		if rng.IntN(3) == 0 {
			q = netip.PrefixFrom(a, rng.IntN(33)).Masked().String()
		}
		known, err := x.Known(Observable{TypeIPv4, q}, opts)
		ms := lookup(t, x, TypeIPv4, q, opts)
		if err != nil || known != (len(ms) > 0) {
			t.Fatalf("%s: Known = %v, %v; Lookup %d matches", q, known, err, len(ms))
		}
	}
}

// TestLargeArena: an arena large enough for huge pages grows, is compacted
// and replaced, and what Lookup handed out of the old one stays readable.
func TestLargeArena(t *testing.T) {
	x := New(Config{})
	value := func(round, i int) string { return fmt.Sprintf("bc1q%d-%01990d", round, i) }
	objs := func(round int) {
		for i := range 3000 {
			x.Add(&Object{ID: id(i), Type: "indicator", Modified: t0.Add(time.Duration(round) * time.Minute), ValidFrom: t0,
				Entries: []Entry{{Observable{TypeWallet, value(round, i)}, "v"}}})
		}
	}
	objs(0)
	if len(x.arena) < hugeSlots {
		t.Fatalf("arena of %d bytes", len(x.arena))
	}
	ms := lookup(t, x, TypeWallet, value(0, 7), LookupOptions{})
	if len(ms) != 1 || ms[0].Observable.Value != value(0, 7) {
		t.Fatalf("before: %v", ms)
	}
	before := len(x.arena)
	objs(1) // every value replaced: the arena is compacted
	if len(x.arena)+x.garbage >= 2*before {
		t.Errorf("arena of %d bytes (%d garbage), %d before: not compacted", len(x.arena), x.garbage, before)
	}
	opts := LookupOptions{Now: t0.Add(time.Hour)}
	for i := range 3000 {
		if k, _ := x.Known(Observable{TypeWallet, value(1, i)}, opts); !k {
			t.Fatalf("%d not known", i)
		}
		if k, _ := x.Known(Observable{TypeWallet, value(0, i)}, opts); k {
			t.Fatalf("replaced value %d known", i)
		}
	}
	if ms[0].Observable.Value != value(0, 7) {
		t.Errorf("a match's value changed with the arena")
	}
}
