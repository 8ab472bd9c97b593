package taxii

import "strings"

// Collection is a TAXII collection: a fixed view of the hub's object
// stream. One collection holds every object; each of the others holds one
// family of STIX types, so every type belongs to exactly one family
// collection.
type Collection struct {
	// ID is the collection's fixed UUID; Alias its short name. Both work
	// in URLs.
	ID, Alias string
	// Title and Description are shown to TAXII clients.
	Title, Description string
	// family is 0 for the collection of every object, else the code of
	// its type family (familyOf).
	family byte
}

// Family codes. They are stored in the index (bucket "family"): changing
// the mapping of a type to a family needs an index schema bump.
const (
	familyAll byte = iota
	familyIndicators
	familyObservables
	familyThreats
	familyAnalysis
	familyRelationships
	familyContext
)

// Collections are the hub's TAXII collections, in the order they are
// listed.
var Collections = []Collection{
	{ID: "2c14f165-c16a-4041-b7f7-cb082c23a948", Alias: "all", family: familyAll,
		Title:       "All objects",
		Description: "Every STIX object the member may read, in the order the hub accepted them."},
	{ID: "b3d05677-f258-4b93-8cb7-fe7d0105749c", Alias: "indicators", family: familyIndicators,
		Title:       "Indicators",
		Description: "STIX indicator objects."},
	{ID: "83b2ccf5-ac94-46cc-869a-a5bccbd649b4", Alias: "observables", family: familyObservables,
		Title:       "Observables",
		Description: "observed-data and every STIX cyber-observable object (ipv4-addr, domain-name, file, ...)."},
	{ID: "23ba344c-1c7e-4e6a-8bdf-fa1133e83000", Alias: "threats", family: familyThreats,
		Title:       "Threats",
		Description: "attack-pattern, campaign, infrastructure, intrusion-set, malware, malware-analysis, threat-actor, tool and vulnerability objects."},
	{ID: "fa5eb746-d180-45fe-b26f-4cffa3412842", Alias: "analysis", family: familyAnalysis,
		Title:       "Analysis",
		Description: "report, grouping, note, opinion and course-of-action objects."},
	{ID: "8e4b6996-1776-4879-b1a7-d619c193d3d7", Alias: "relationships", family: familyRelationships,
		Title:       "Relationships",
		Description: "relationship and sighting objects."},
	{ID: "eb0f91ba-984f-4bfe-b1af-3f8eaa1ab6e4", Alias: "context", family: familyContext,
		Title:       "Context",
		Description: "identity, location, marking-definition, extension-definition, language-content and custom object types."},
}

// collection returns the collection named by id or alias.
func collection(name string) (*Collection, bool) {
	for i := range Collections {
		c := &Collections[i]
		if strings.EqualFold(name, c.ID) || name == c.Alias {
			return c, true
		}
	}
	return nil, false
}

// has reports whether objects of type typ belong to the collection.
func (c *Collection) has(typ string) bool {
	return c.family == familyAll || familyOf(typ) == c.family
}

var familyByType = map[string]byte{
	"indicator": familyIndicators,

	"observed-data":        familyObservables,
	"artifact":             familyObservables,
	"autonomous-system":    familyObservables,
	"directory":            familyObservables,
	"domain-name":          familyObservables,
	"email-addr":           familyObservables,
	"email-message":        familyObservables,
	"file":                 familyObservables,
	"ipv4-addr":            familyObservables,
	"ipv6-addr":            familyObservables,
	"mac-addr":             familyObservables,
	"mutex":                familyObservables,
	"network-traffic":      familyObservables,
	"process":              familyObservables,
	"software":             familyObservables,
	"url":                  familyObservables,
	"user-account":         familyObservables,
	"windows-registry-key": familyObservables,
	"x509-certificate":     familyObservables,

	"attack-pattern":   familyThreats,
	"campaign":         familyThreats,
	"infrastructure":   familyThreats,
	"intrusion-set":    familyThreats,
	"malware":          familyThreats,
	"malware-analysis": familyThreats,
	"threat-actor":     familyThreats,
	"tool":             familyThreats,
	"vulnerability":    familyThreats,

	"report":           familyAnalysis,
	"grouping":         familyAnalysis,
	"note":             familyAnalysis,
	"opinion":          familyAnalysis,
	"course-of-action": familyAnalysis,

	"relationship": familyRelationships,
	"sighting":     familyRelationships,
}

// familyOf returns the family of a STIX type; types not listed (identity,
// location, markings, extension definitions, custom types) are context.
func familyOf(typ string) byte {
	if f, ok := familyByType[typ]; ok {
		return f
	}
	return familyContext
}
