package stix

import "time"

// Object is the common part of a STIX 2.1 object that the hub needs to route,
// store and version it. The object's full JSON stays with the caller: Object
// carries no other properties.
type Object struct {
	// Type is the STIX type, e.g. "indicator".
	Type string
	// ID is the STIX identifier, "<type>--<uuid>", e.g. "indicator--<uuid>".
	ID string
	// SpecVersion is "2.1"; it may be empty for cyber-observable objects.
	SpecVersion string
	// Created is the created timestamp in UTC, zero if absent.
	Created time.Time
	// Modified is the modified timestamp in UTC, zero if absent.
	Modified time.Time
	// CreatedByRef is the identity that created the object, "" if absent.
	CreatedByRef string
}

// Range of times a STIX timestamp can express; VersionKey clamps to it.
var (
	minVersionTime = time.Date(0, time.January, 1, 0, 0, 0, 0, time.UTC)
	maxVersionTime = time.Date(9999, time.December, 31, 23, 59, 59, 999999999, time.UTC)
)

// VersionKey returns a NATS-subject-safe token naming the object version:
// Modified in UTC as the 23 digits "YYYYMMDDhhmmssnnnnnnnnn", so that lexical
// order is time order, or "0" when Modified is zero (objects without
// versions, such as most cyber-observables).
//
// Parse only produces years 0000-9999. Times outside that range, which only a
// hand-built Object can hold, are clamped to it so that the key keeps its
// length and order.
func (o *Object) VersionKey() string {
	if o.Modified.IsZero() {
		return "0"
	}
	t := o.Modified.UTC()
	if t.Before(minVersionTime) {
		t = minVersionTime
	} else if t.After(maxVersionTime) {
		t = maxVersionTime
	}
	var b [23]byte
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	putDigits(b[0:4], year)
	putDigits(b[4:6], int(month))
	putDigits(b[6:8], day)
	putDigits(b[8:10], hour)
	putDigits(b[10:12], minute)
	putDigits(b[12:14], sec)
	putDigits(b[14:23], t.Nanosecond())
	return string(b[:])
}

// putDigits writes n, zero-padded, into all of b.
func putDigits(b []byte, n int) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
}

// ModifiedString returns Modified formatted as RFC 3339 in UTC with as many
// fractional digits as it needs (time.RFC3339Nano), or "" when Modified is
// zero. The result denotes the same instant as the object's modified
// property but need not be the same text: "2016-05-12T08:17:27.000Z" is
// returned as "2016-05-12T08:17:27Z". Compare versions as times or with
// VersionKey, not as these strings.
func (o *Object) ModifiedString() string {
	if o.Modified.IsZero() {
		return ""
	}
	return o.Modified.UTC().Format(time.RFC3339Nano)
}
