// Package extdef knows the object types that STIX 2.1 extension-definitions
// define (section 7.3, extension_types new-sdo, new-sco and new-sro): the
// definitions every hub ships, and those members publish.
//
// The hub ships two new-sco definitions for crypto assets (crypto-assets.json,
// embedded): cryptocurrency-wallet (value, currency) and
// cryptocurrency-transaction (hash, currency, amount, from_refs, to_refs).
// Their type names and the wallet's value property are those of OpenCTI's
// Cryptocurrency-Wallet observable, so indicators written for OpenCTI, such as
// [cryptocurrency-wallet:value = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT'],
// validate on the hub as they are.
//
// STIX gives an extension-definition no property naming the type it
// defines; the hub reads it from name, which must then be a valid STIX type
// name ("cryptocurrency-wallet"). A definition whose name is not a type name
// defines no type the hub knows.
package extdef

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/stixhub/stixhub/internal/stix"
)

// The ids of the shipped definitions.
const (
	// WalletID is the extension-definition of cryptocurrency-wallet.
	WalletID = "extension-definition--89126a49-4d35-474b-90b9-bde9e93d0215"
	// TransactionID is the extension-definition of cryptocurrency-transaction.
	TransactionID = "extension-definition--18700d6c-7fdc-49e8-b29c-5a255bd8df08"
)

//go:embed crypto-assets.json
var cryptoAssets []byte

// Builtin returns the objects the hub ships: the identity of their author and
// the extension-definitions, as a STIX bundle's objects in that order.
func Builtin() []json.RawMessage {
	var b struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(cryptoAssets, &b); err != nil {
		panic("extdef: embedded crypto-assets.json: " + err.Error()) // caught by the package tests
	}
	return b.Objects
}

// DefinedType returns the object type an extension-definition defines: its
// name, when that is a valid STIX type name and the definition's
// extension_types include new-sdo, new-sco or new-sro. Any other object, or a
// definition of property extensions only, defines none. (A definition named
// after a STIX 2.1 type changes nothing: validation never asks about those.)
func DefinedType(obj []byte) (string, bool) {
	// The hub asks this of every object it stores: skip the decode unless
	// the object can be an extension-definition at all.
	if !bytes.Contains(obj, []byte(`"extension-definition"`)) {
		return "", false
	}
	var d struct {
		Type           string   `json:"type"`
		Name           string   `json:"name"`
		ExtensionTypes []string `json:"extension_types"`
	}
	if json.Unmarshal(obj, &d) != nil || d.Type != "extension-definition" {
		return "", false
	}
	if !stix.IsValidType(d.Name) {
		return "", false
	}
	for _, t := range d.ExtensionTypes {
		switch t {
		case "new-sdo", "new-sco", "new-sro":
			return d.Name, true
		}
	}
	return "", false
}

// Types is the set of object types defined by the extension-definitions a hub
// holds: the shipped ones, and those learnt from the stream with Observe. It
// is safe for concurrent use; Known fits stix.ParseOptions.KnownType and
// pattern.Options.ExtraTypes.
type Types struct {
	mu    sync.RWMutex
	types map[string]struct{}
}

// NewTypes returns the set of the types the shipped definitions define.
func NewTypes() *Types {
	t := &Types{types: make(map[string]struct{})}
	for _, obj := range Builtin() {
		t.Observe(obj)
	}
	return t
}

// Observe learns the type obj defines, if obj is an extension-definition
// that defines one (see DefinedType), and reports it.
func (t *Types) Observe(obj []byte) (string, bool) {
	typ, ok := DefinedType(obj)
	if !ok {
		return "", false
	}
	t.mu.Lock()
	t.types[typ] = struct{}{}
	t.mu.Unlock()
	return typ, true
}

// Known reports whether typ is defined by an extension-definition in the set.
func (t *Types) Known(typ string) bool {
	t.mu.RLock()
	_, ok := t.types[typ]
	t.mu.RUnlock()
	return ok
}

// List returns the known types, sorted.
func (t *Types) List() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]string, 0, len(t.types))
	for typ := range t.types {
		out = append(out, typ)
	}
	slices.Sort(out)
	return out
}

// ParseOptions returns STIX parse options that know the types in t, for
// validating objects and patterns.
func (t *Types) ParseOptions() stix.ParseOptions {
	return stix.ParseOptions{KnownType: t.Known}
}

// String lists the types, for logs.
func (t *Types) String() string { return fmt.Sprint(t.List()) }
