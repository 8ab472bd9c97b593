package pattern_test

import (
	"fmt"
	"time"

	"github.com/stixhub/stixhub/internal/pattern"
)

func ExampleParse() {
	p, err := pattern.Parse("[ipv4-addr:value = '198.51.100.1' OR file:hashes.'SHA-256' IN ('ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c')]")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range p.Comparisons() {
		fmt.Println(c.Path.Type, c.Path, c.Op, c.Negated)
	}

	_, err = pattern.Parse("[ipv4-addr:value = '198.51.100.1' AND]")
	fmt.Println(err)
	_, err = pattern.Parse("[win-registry-key:key = 'a']")
	fmt.Println(err)
	// Output:
	// ipv4-addr ipv4-addr:value = false
	// file file:hashes.'SHA-256' IN false
	// column 38: expected a comparison: an object path, EXISTS or '(', found ']'
	// column 2: unknown object type 'win-registry-key': not a STIX 2.1 cyber-observable type or an 'x-' custom type
}

func ExampleParseWithOptions() {
	known := map[string]bool{"cryptocurrency-wallet": true} // from extension-definitions
	o := pattern.Options{ExtraTypes: func(typ string) bool { return known[typ] }}
	p, err := pattern.ParseWithOptions("[cryptocurrency-wallet:value = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq']", o)
	fmt.Println(p, err)
	// Output:
	// [cryptocurrency-wallet:value = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'] <nil>
}

func ExamplePattern_String() {
	p, _ := pattern.Parse("[ file:name=='a' /* comment */ OR file:size<>+10 ]  WITHIN .5 SECONDS")
	fmt.Println(p)
	// Output:
	// [file:name = 'a' OR file:size != 10] WITHIN 0.5 SECONDS
}

func ExamplePattern_Match() {
	p, _ := pattern.Parse("[ipv4-addr:value ISSUBSET '198.51.100.0/24'] FOLLOWEDBY [domain-name:value = 'evil.example.com']")
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	obs := []pattern.Observation{
		{Objects: map[string]map[string]any{"ipv4-addr--1": {"type": "ipv4-addr", "value": "198.51.100.7"}},
			First: t0, Last: t0},
		{Objects: map[string]map[string]any{"domain-name--1": {"type": "domain-name", "value": "Evil.Example.com"}},
			First: t0.Add(time.Minute), Last: t0.Add(time.Minute)},
	}
	fmt.Println(p.Match(obs))

	// The address seen an hour later does not precede the domain.
	obs[0].First, obs[0].Last = t0.Add(time.Hour), t0.Add(time.Hour)
	fmt.Println(p.Match(obs))
	// Output:
	// true <nil>
	// false <nil>
}
