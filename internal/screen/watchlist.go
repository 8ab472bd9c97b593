package screen

import (
	"net/netip"
	"slices"
	"time"
)

// Watchlist is the reverse of an Index: a fixed list of observables (the
// addresses an exchange's customers withdraw to, a bank's counterparties'
// domains) checked against each newly accepted object, for alerts. The
// same rules apply as for lookups: normalized values, and IP addresses
// against CIDR blocks both ways (a listed address inside an indicator's
// block, an indicator's address inside a listed block).
type Watchlist struct {
	items  []Observable         // as listed
	values map[Observable][]int // normalized -> items
	addrs  []listedAddr         // sorted by address
	blocks []listedBlock
}

type listedAddr struct {
	addr netip.Addr
	item int
}

type listedBlock struct {
	block netip.Prefix
	item  int
}

// Hit is one listed observable that an object names.
type Hit struct {
	// Listed is the observable as it was listed.
	Listed Observable
	// Match describes the object; its Observable is the object's entry.
	Match Match
}

// NewWatchlist builds a watch list. An item with an empty Type is watched as
// every type InferTypes gives its value. The error names the first item
// whose type or value is invalid.
func NewWatchlist(items []Observable) (*Watchlist, error) {
	w := &Watchlist{items: items, values: make(map[Observable][]int)}
	for i, it := range items {
		typ, ok := CanonicalType(it.Type)
		if !ok {
			return nil, &ItemError{Item: i, Err: ErrBadType}
		}
		types := []string{typ}
		if typ == "" {
			types = InferTypes(it.Value)
		}
		for _, t := range types {
			v, err := Normalize(t, it.Value)
			if err != nil {
				return nil, &ItemError{Item: i, Err: err}
			}
			if t == TypeIPv4 || t == TypeIPv6 {
				pf, _ := parseIP(v)
				if pf.IsSingleIP() {
					w.addrs = append(w.addrs, listedAddr{pf.Addr(), i})
				} else {
					w.blocks = append(w.blocks, listedBlock{pf, i})
				}
				continue
			}
			k := Observable{Type: t, Value: v}
			w.values[k] = append(w.values[k], i)
		}
	}
	slices.SortFunc(w.addrs, func(a, b listedAddr) int { return a.addr.Compare(b.addr) })
	return w, nil
}

// ItemError is an invalid watch list item.
type ItemError struct {
	Item int // index in the list, from 0
	Err  error
}

func (e *ItemError) Error() string { return e.Err.Error() }
func (e *ItemError) Unwrap() error { return e.Err }

// Len returns the number of listed items.
func (w *Watchlist) Len() int { return len(w.items) }

// Match returns the listed observables that o names, when o is live at now
// (revoked, expired and not-yet-valid objects raise no alert).
func (w *Watchlist) Match(o *Object, now time.Time) []Hit {
	st := o.Status(now, nil)
	if st != StatusLive {
		return nil
	}
	var hits []Hit
	hit := func(item int, e Entry) {
		hits = append(hits, Hit{Listed: w.items[item], Match: o.match(e.Observable, e.Via, st)})
	}
	for _, e := range o.Entries {
		if e.Type != TypeIPv4 && e.Type != TypeIPv6 {
			for _, i := range w.values[e.Observable] {
				hit(i, e)
			}
			continue
		}
		pf, ok := parseIP(e.Value)
		if !ok {
			continue
		}
		start, _ := slices.BinarySearchFunc(w.addrs, pf.Addr(), func(a listedAddr, t netip.Addr) int { return a.addr.Compare(t) })
		for j := start; j < len(w.addrs) && pf.Contains(w.addrs[j].addr); j++ {
			hit(w.addrs[j].item, e)
		}
		for _, b := range w.blocks {
			if b.block.Addr().Is4() == pf.Addr().Is4() && (pf.Bits() <= b.block.Bits() && pf.Contains(b.block.Addr()) ||
				b.block.Bits() <= pf.Bits() && b.block.Contains(pf.Addr())) {
				hit(b.item, e)
			}
		}
	}
	return hits
}
