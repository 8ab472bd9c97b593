package stix

import (
	"sort"
	"strings"
	"testing"
	"time"
)

func TestVersionKey(t *testing.T) {
	tests := []struct {
		name     string
		modified time.Time
		want     string
	}{
		{"zero time is 0", time.Time{}, "0"},
		{"milliseconds", time.Date(2016, 5, 12, 8, 17, 27, 123000000, time.UTC), "20160512081727123000000"},
		{"nanoseconds", time.Date(2016, 5, 12, 8, 17, 27, 1, time.UTC), "20160512081727000000001"},
		{"converted to UTC", time.Date(2016, 5, 12, 10, 17, 27, 0, time.FixedZone("CEST", 2*3600)), "20160512081727000000000"},
		{"year 0001 is zero-padded", time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), "00010101000000000000001"},
		{"last representable instant", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), "99991231235959999999999"},
		{"after year 9999 is clamped", time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC), "99991231235959999999999"},
		{"before year 0 is clamped", time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), "00000101000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &Object{Modified: tt.modified}
			if got := o.VersionKey(); got != tt.want {
				t.Errorf("VersionKey() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVersionKeyOrderIsTimeOrder(t *testing.T) {
	base := time.Date(2016, 5, 12, 8, 17, 27, 0, time.UTC)
	times := []time.Time{
		base,
		base.Add(time.Nanosecond),
		base.Add(999 * time.Millisecond),
		base.Add(time.Second),
		base.Add(-time.Nanosecond),
		base.AddDate(-10, 0, 0),
		base.AddDate(100, 0, 0),
	}
	keys := make([]string, len(times))
	for i, tm := range times {
		keys[i] = (&Object{Modified: tm}).VersionKey()
		if len(keys[i]) != 23 {
			t.Errorf("VersionKey(%v) = %q, want 23 digits", tm, keys[i])
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	sort.Strings(keys)
	for i, tm := range times {
		if want := (&Object{Modified: tm}).VersionKey(); keys[i] != want {
			t.Errorf("key %d in lexical order is %s, want %s", i, keys[i], want)
		}
	}
}

func TestModifiedString(t *testing.T) {
	tests := []struct {
		name     string
		modified time.Time
		want     string
	}{
		{"zero time is empty", time.Time{}, ""},
		{"whole seconds drop the fraction", time.Date(2016, 5, 12, 8, 17, 27, 0, time.UTC), "2016-05-12T08:17:27Z"},
		{"milliseconds", time.Date(2016, 5, 12, 8, 17, 27, 120000000, time.UTC), "2016-05-12T08:17:27.12Z"},
		{"nanoseconds", time.Date(2016, 5, 12, 8, 17, 27, 1, time.UTC), "2016-05-12T08:17:27.000000001Z"},
		{"converted to UTC", time.Date(2016, 5, 12, 10, 17, 27, 0, time.FixedZone("CEST", 2*3600)), "2016-05-12T08:17:27Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &Object{Modified: tt.modified}
			if got := o.ModifiedString(); got != tt.want {
				t.Errorf("ModifiedString() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Time // zero: must be refused
	}{
		{"whole seconds", "2016-05-12T08:17:27Z", time.Date(2016, 5, 12, 8, 17, 27, 0, time.UTC)},
		{"milliseconds", "2016-05-12T08:17:27.000Z", time.Date(2016, 5, 12, 8, 17, 27, 0, time.UTC)},
		{"one fractional digit", "2016-05-12T08:17:27.5Z", time.Date(2016, 5, 12, 8, 17, 27, 500000000, time.UTC)},
		{"nine fractional digits", "2016-05-12T08:17:27.123456789Z", time.Date(2016, 5, 12, 8, 17, 27, 123456789, time.UTC)},
		{"leap day", "2016-02-29T00:00:00Z", time.Date(2016, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"leap day of a 400 year", "2000-02-29T00:00:00Z", time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"year zero", "0000-01-01T00:00:00Z", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"end of time", "9999-12-31T23:59:59.999999999Z", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},

		{"ten fractional digits refused", "2016-05-12T08:17:27.1234567891Z", time.Time{}},
		{"empty fraction refused", "2016-05-12T08:17:27.Z", time.Time{}},
		{"comma fraction refused", "2016-05-12T08:17:27,5Z", time.Time{}},
		{"numeric offset refused", "2016-05-12T08:17:27+00:00", time.Time{}},
		{"lower-case z refused", "2016-05-12T08:17:27z", time.Time{}},
		{"lower-case t refused", "2016-05-12t08:17:27Z", time.Time{}},
		{"space separator refused", "2016-05-12 08:17:27Z", time.Time{}},
		{"no zone refused", "2016-05-12T08:17:27", time.Time{}},
		{"no seconds refused", "2016-05-12T08:17Z", time.Time{}},
		{"date only refused", "2016-05-12", time.Time{}},
		{"leap day of a common year refused", "2015-02-29T00:00:00Z", time.Time{}},
		{"leap day of a 100 year refused", "1900-02-29T00:00:00Z", time.Time{}},
		{"April 31 refused", "2016-04-31T00:00:00Z", time.Time{}},
		{"month 13 refused", "2016-13-01T00:00:00Z", time.Time{}},
		{"day 0 refused", "2016-01-00T00:00:00Z", time.Time{}},
		{"hour 24 refused", "2016-01-01T24:00:00Z", time.Time{}},
		{"minute 60 refused", "2016-01-01T00:60:00Z", time.Time{}},
		{"leap second refused", "2016-12-31T23:59:60Z", time.Time{}},
		{"signed field refused", "2016-+1-01T00:00:00Z", time.Time{}},
		{"five-digit year refused", "12016-01-01T00:00:00Z", time.Time{}},
		{"empty refused", "", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseTimestamp([]byte(tt.in))
			if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
				t.Errorf("parseTimestamp(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
			}
			if ok {
				// Every accepted timestamp is also RFC 3339 to the standard library.
				std, err := time.Parse(time.RFC3339Nano, tt.in)
				if err != nil || !std.Equal(got) {
					t.Errorf("time.Parse(%q) = %v, %v; want %v", tt.in, std, err, got)
				}
			}
		})
	}
}

func TestIsValidType(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"SDO type", "indicator", true},
		{"type with hyphens", "course-of-action", true},
		{"type with digits", "x509-certificate", true},
		{"custom type", "x-mitre-tactic", true},
		{"three characters", "abc", true},
		{"250 characters", "a" + strings.Repeat("b", 249), true},
		{"trailing hyphen", "abc-", true},
		{"two characters", "ab", false},
		{"251 characters", "a" + strings.Repeat("b", 250), false},
		{"empty", "", false},
		{"starts with a digit", "1abc", false},
		{"starts with a hyphen", "-abc", false},
		{"upper case", "Indicator", false},
		{"underscore", "my_type", false},
		{"double hyphen", "x--mitre", false},
		{"non-ASCII", "indicatör", false},
		{"space", "ab c", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsValidType(tt.in); got != tt.want {
				t.Errorf("IsValidType(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
