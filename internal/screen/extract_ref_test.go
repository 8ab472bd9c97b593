package screen

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/stixhub/stixhub/internal/jsonscan"
	"github.com/stixhub/stixhub/internal/marking"
	"github.com/stixhub/stixhub/internal/pattern"
)

// refHead is the part of an object refRead decodes for every type.
type refHead struct {
	Type        string                    `json:"type"`
	ID          string                    `json:"id"`
	Modified    string                    `json:"modified"`
	Revoked     bool                      `json:"revoked"`
	ValidFrom   string                    `json:"valid_from"`
	ValidUntil  string                    `json:"valid_until"`
	Confidence  *int                      `json:"confidence"`
	Pattern     string                    `json:"pattern"`
	PatternType string                    `json:"pattern_type"`
	Objects     map[string]map[string]any `json:"objects"`
	ObjectRefs  []string                  `json:"object_refs"`
}

// refReadHead decodes the top-level properties refRead needs.
func refReadHead(obj []byte) (refHead, error) {
	var h refHead
	if !jsonscan.Valid(obj) {
		return h, errors.New("not valid JSON")
	}
	it := jsonscan.NewObjectIter(jsonscan.TrimSpace(obj))
	str := func(dst *string, v []byte) error {
		s, ok := jsonscan.String(v)
		if !ok {
			return fmt.Errorf("want a string, got %s", jsonscan.Kind(v))
		}
		*dst = string(s)
		return nil
	}
	for it.Next() {
		name, _ := jsonscan.String(it.Name())
		v := it.Value()
		var err error
		switch string(name) {
		case "type":
			err = str(&h.Type, v)
		case "id":
			err = str(&h.ID, v)
		case "modified":
			err = str(&h.Modified, v)
		case "valid_from":
			err = str(&h.ValidFrom, v)
		case "valid_until":
			err = str(&h.ValidUntil, v)
		case "pattern":
			err = str(&h.Pattern, v)
		case "pattern_type":
			err = str(&h.PatternType, v)
		case "revoked":
			h.Revoked = string(v) == "true"
		case "confidence":
			var c int
			if err = json.Unmarshal(v, &c); err == nil {
				h.Confidence = &c
			}
		case "objects":
			err = json.Unmarshal(v, &h.Objects)
		case "object_refs":
			err = json.Unmarshal(v, &h.ObjectRefs)
		}
		if err != nil {
			return h, fmt.Errorf("%s: %w", name, err)
		}
	}
	return h, it.Err()
}

// refRead is Read as it was before it decoded everything with jsonscan
// (observed-data objects, object_refs, confidence and cyber-observables went
// through encoding/json, markings through marking.Effective): the reference
// Read must agree with (TestReadAgreesWithReference, FuzzReadAgreesWithReference).
func refRead(obj []byte) (*Object, error) {
	h, err := refReadHead(obj)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	o := &Object{ID: h.ID, Type: h.Type, Revoked: h.Revoked, Confidence: -1}
	if h.Confidence != nil {
		o.Confidence = *h.Confidence
	}
	o.Modified = parseTime(h.Modified)
	if r, err := marking.Effective(obj, nil); err == nil {
		o.TLP = r.TLP
	}
	switch h.Type {
	case "indicator":
		o.ValidFrom, o.ValidUntil = parseTime(h.ValidFrom), parseTime(h.ValidUntil)
		if h.PatternType != "stix" {
			return o, nil
		}
		p, err := pattern.ParseWithOptions(h.Pattern, anyType)
		if err != nil {
			return nil, fmt.Errorf("pattern: %w", err)
		}
		o.Entries = PatternEntries(p)
		return o, nil
	case "observed-data":
		keys := make([]string, 0, len(h.Objects))
		for k := range h.Objects {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sco := h.Objects[k]
			typ, _ := sco["type"].(string)
			o.Entries = refAppendSCO(o.Entries, typ, sco, "objects."+k+".")
		}
		for _, ref := range h.ObjectRefs {
			if !isSDOorSROorMeta(ref) {
				o.Refs = append(o.Refs, ref)
			}
		}
		return o, nil
	}
	if isSDOorSROorMeta(h.ID) {
		return nil, ErrNotScreened
	}
	var props map[string]any
	if err := json.Unmarshal(obj, &props); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	o.Entries = refAppendSCO(nil, h.Type, props, "")
	if len(o.Entries) == 0 {
		return nil, ErrNotScreened
	}
	return o, nil
}

// refAppendSCO appends the observables of one cyber-observable's properties.
func refAppendSCO(dst []Entry, typ string, props map[string]any, at string) []Entry {
	if typ == "" {
		return dst
	}
	prop, ok := identifying[typ]
	if !ok {
		prop = "value"
	}
	if v, ok := refScalarString(props[prop]); ok {
		dst = appendEntry(dst, typ, v, at+prop)
	}
	if hashes, ok := props["hashes"].(map[string]any); ok {
		algos := make([]string, 0, len(hashes))
		for a := range hashes {
			algos = append(algos, a)
		}
		sort.Strings(algos)
		for _, a := range algos {
			if v, ok := hashes[a].(string); ok {
				dst = appendEntry(dst, TypeFile, v, at+"hashes."+a)
			}
		}
	}
	return dst
}

// refScalarString returns a JSON string or integer as text.
func refScalarString(x any) (string, bool) {
	switch v := x.(type) {
	case string:
		return v, true
	case float64:
		if v == float64(int64(v)) {
			return strconv.FormatInt(int64(v), 10), true
		}
	}
	return "", false
}
