package stix

import (
	"bytes"

	"github.com/stixhub/stixhub/internal/jsonscan"
)

// Extensions (sections 3.2, 3.10, 7.3 and 11.3). The extensions property is
// a dictionary; each key is one of:
//
//   - the id of an extension-definition, "extension-definition--<UUID>":
//     the value must carry extension_type, from extension-type-enum, and
//     its other properties follow the extension property naming rules;
//   - the name of a predefined extension of the object's type, such as
//     archive-ext on a file: the value follows that extension's table;
//   - on an SCO, a deprecated custom extension name ending in "-ext"
//     (section 11.3): the value has at least one property, named by the
//     custom property rules.

// extensionTypes are the values of extension-type-enum (section 10.5).
var extensionTypes = []string{"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"}

// checkExtensionType checks an extension_type value.
var checkExtensionType = enumOf("extension-type-enum", extensionTypes...)

// predefinedExtensionOwners names the type that defines each predefined
// extension, for messages about one used on another type.
var predefinedExtensionOwners = map[string]string{
	"archive-ext":          "file",
	"ntfs-ext":             "file",
	"pdf-ext":              "file",
	"raster-image-ext":     "file",
	"windows-pebinary-ext": "file",
	"http-request-ext":     "network-traffic",
	"icmp-ext":             "network-traffic",
	"socket-ext":           "network-traffic",
	"tcp-ext":              "network-traffic",
	"windows-process-ext":  "process",
	"windows-service-ext":  "process",
	"unix-account-ext":     "user-account",
}

// checkExtensions checks the extensions dictionary of an object.
func checkExtensions(c *checker, raw []byte) {
	it := jsonscan.NewObjectIter(raw)
	if it.Err() != nil {
		c.add("", "must be an object (dictionary of extensions)")
		return
	}
	var seen nameSet
	count := 0
	for it.Next() {
		count++
		key, ok := jsonscan.String(it.Name())
		if !ok {
			continue
		}
		n := len(c.vs)
		if seen.add(key) {
			c.add("", "duplicate extension")
		} else {
			c.checkExtension(key, it.Value())
		}
		if len(c.vs) > n {
			c.prefix(n, keySegment(key))
		}
	}
	if count == 0 {
		c.add("", "must not be empty: omit the property instead")
	}
}

// checkExtension checks one entry of the extensions dictionary.
func (c *checker) checkExtension(key, value []byte) {
	if bytes.HasPrefix(key, []byte("extension-definition--")) {
		if _, problem := identifierProblem(key); problem != "" {
			c.add("", "invalid extension-definition id: "+problem)
			return
		}
		c.checkDefinedExtension(value)
		return
	}
	if c.spec != nil {
		if spec, ok := c.spec.extensions[string(key)]; ok {
			c.checkObject(spec, value)
			return
		}
	}
	if owner, ok := predefinedExtensionOwners[string(key)]; ok {
		c.add("", "the predefined extension "+string(key)+" is defined for "+owner+" objects only")
		return
	}
	if c.class == classSCO && isCustomExtensionName(key) {
		c.checkObject(customExtensionSpec, value)
		return
	}
	if c.class == classSCO {
		c.add("", "unknown extension: keys must be extension-definition ids, predefined extension names or (deprecated) custom extension names ending in -ext")
	} else {
		c.add("", "unknown extension: keys must be extension-definition ids or predefined extension names")
	}
}

// customExtensionSpec is a deprecated custom SCO extension (section 11.3):
// at least one property, all of them custom.
var customExtensionSpec = newObjectSpec("custom extension").oneRequired("")

// isCustomExtensionName reports whether key is a valid custom extension
// name (section 11.3): 3-250 characters of a-z, 0-9 and '-', ending in
// "-ext".
func isCustomExtensionName(key []byte) bool {
	if len(key) < 5 || len(key) > 250 || !bytes.HasSuffix(key, []byte("-ext")) {
		return false
	}
	for _, b := range key {
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-') {
			return false
		}
	}
	return true
}

// checkDefinedExtension checks the instance of an extension defined by an
// extension-definition object (section 7.3).
func (c *checker) checkDefinedExtension(value []byte) {
	it := jsonscan.NewObjectIter(value)
	if it.Err() != nil {
		c.add("", "must be an object (the extension's properties)")
		return
	}
	var seen nameSet
	var extType []byte
	for it.Next() {
		name, ok := jsonscan.String(it.Name())
		if !ok {
			continue
		}
		n := len(c.vs)
		switch {
		case seen.add(name):
			c.add("", "duplicate property")
		case string(name) == "extension_type":
			extType = it.Value()
			checkExtensionType(c, it.Value())
		default:
			c.checkCustomProperty(name, it.Value())
		}
		if len(c.vs) > n {
			c.prefix(n, keySegment(name))
		}
	}
	if extType == nil {
		c.add("extension_type", "required: extensions defined by an extension-definition must say their extension_type")
		return
	}
	s, _ := jsonscan.String(extType)
	switch string(s) {
	case "new-sdo", "new-sco", "new-sro":
		// This mechanism must not redefine the types of the specification.
		if _, standard := typeClasses[c.typ]; standard {
			c.add("extension_type", "must not be "+string(s)+" on a "+c.typ+": extensions cannot redefine STIX 2.1 types")
		} else if c.spec != nil && c.class != classCustom && c.class != classOf(string(s)) {
			c.add("extension_type", "conflicts with another extension of this object: an object has one class")
		}
	}
}

// classOf returns the class an extension_type new-sdo, new-sco or new-sro
// gives an object.
func classOf(extType string) class {
	switch extType {
	case "new-sdo":
		return classSDO
	case "new-sco":
		return classSCO
	case "new-sro":
		return classSRO
	}
	return classUnknown
}
