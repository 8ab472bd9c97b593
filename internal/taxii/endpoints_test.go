package taxii_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stixhub/stixhub/internal/hubtest"
	"github.com/stixhub/stixhub/internal/sign"
	"github.com/stixhub/stixhub/internal/taxii"
)

func TestAuthentication(t *testing.T) {
	hub := hubtest.Start(t)
	bank := hub.AddMember(t, "Bank A")
	c := taxiiClient(t, hub, "")

	r := c.get("/taxii2/")
	errorBody(t, r, http.StatusUnauthorized)
	ch := strings.Join(r.header.Values("WWW-Authenticate"), " | ")
	if !strings.Contains(ch, "Basic realm=") || !strings.Contains(ch, "Bearer realm=") {
		t.Fatalf("WWW-Authenticate %q", ch)
	}
	errorBody(t, c.as("sxh_not-a-token").get("/taxii2/"), http.StatusUnauthorized)
	errorBody(t, c.get("/taxii2/", "Authorization", "Basic !!!"), http.StatusUnauthorized)
	errorBody(t, c.get("/taxii2/", "Authorization", "Digest abc"), http.StatusUnauthorized)

	// Bearer, and Basic with the token as password (any user name) or as
	// user name with an empty password.
	c.as(bank.Token).mustGet("/taxii2/", nil)
	for _, userpass := range []string{bank.ID + ":" + bank.Token, "anything:" + bank.Token, bank.Token + ":"} {
		r := c.get("/taxii2/", "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(userpass)))
		if r.status != http.StatusOK {
			t.Fatalf("basic %q: %d %s", strings.SplitN(userpass, ":", 2)[0], r.status, r.body)
		}
	}
	// The operator token is not a member's.
	errorBody(t, c.as(hub.OperatorToken).get("/taxii2/"), http.StatusForbidden)
}

func TestDiscoveryAPIRootAndCollections(t *testing.T) {
	hub := hubtest.Start(t)
	bank := hub.AddMember(t, "Bank A")
	c := taxiiClient(t, hub, bank.Token)

	var disc struct {
		Title    string   `json:"title"`
		Default  string   `json:"default"`
		APIRoots []string `json:"api_roots"`
	}
	c.mustGet("/taxii2/", &disc)
	if disc.Default != "/stixhub/" || len(disc.APIRoots) != 1 || disc.APIRoots[0] != "/stixhub/" || disc.Title == "" {
		t.Fatalf("discovery %+v", disc)
	}
	// Without the trailing slash too.
	c.mustGet("/taxii2", nil)

	var root struct {
		Versions         []string `json:"versions"`
		MaxContentLength int      `json:"max_content_length"`
	}
	c.mustGet("/stixhub/", &root)
	if len(root.Versions) != 1 || root.Versions[0] != mediaType || root.MaxContentLength != taxii.DefaultMaxContentLength {
		t.Fatalf("api root %+v", root)
	}

	type collection struct {
		ID         string   `json:"id"`
		Title      string   `json:"title"`
		Alias      string   `json:"alias"`
		CanRead    bool     `json:"can_read"`
		CanWrite   bool     `json:"can_write"`
		MediaTypes []string `json:"media_types"`
	}
	var list struct {
		Collections []collection `json:"collections"`
	}
	c.mustGet("/stixhub/collections/", &list)
	if len(list.Collections) != len(taxii.Collections) {
		t.Fatalf("%d collections", len(list.Collections))
	}
	for i, col := range list.Collections {
		if col.ID != taxii.Collections[i].ID || !col.CanRead || col.CanWrite || len(col.MediaTypes) != 1 || col.MediaTypes[0] != "application/stix+json;version=2.1" {
			t.Fatalf("collection %+v", col)
		}
	}
	if list.Collections[0].Alias != "all" || list.Collections[1].Alias != "indicators" {
		t.Fatalf("first collections %+v", list.Collections[:2])
	}
	var one collection
	c.mustGet("/stixhub/collections/"+taxii.Collections[1].ID+"/", &one)
	if one.Alias != "indicators" {
		t.Fatalf("by id: %+v", one)
	}
	c.mustGet("/stixhub/collections/indicators/", &one)
	if one.ID != taxii.Collections[1].ID {
		t.Fatalf("by alias: %+v", one)
	}

	// can_write follows the operator's taxii-unsigned flag.
	setUnsigned(t, hub, bank.ID, true)
	c.mustGet("/stixhub/collections/indicators/", &one)
	if !one.CanWrite {
		t.Fatal("can_write false after the operator allowed unsigned posts")
	}
	// The operator token opens nothing on the TAXII listener.
	errorBody(t, c.as(hub.OperatorToken).do(http.MethodGet, "/stixhub/collections/", nil), http.StatusForbidden)
	setUnsigned(t, hub, bank.ID, false)
	c.mustGet("/stixhub/collections/indicators/", &one)
	if one.CanWrite {
		t.Fatal("can_write true after the operator refused unsigned posts")
	}
}

func TestErrorStatuses(t *testing.T) {
	hub := hubtest.Start(t)
	bank := hub.AddMember(t, "Bank A")
	c := taxiiClient(t, hub, bank.Token)
	id := "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	cases := []struct {
		name   string
		method string
		path   string
		hdr    []string
		status int
	}{
		{"unknown path", "GET", "/nope/", nil, 404},
		{"unknown api root", "GET", "/other/collections/", nil, 404},
		{"unknown collection", "GET", "/stixhub/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/", nil, 404},
		{"unknown collection objects", "GET", "/stixhub/collections/nope/objects/", nil, 404},
		{"unknown status", "GET", "/stixhub/status/2d086da7-4bdc-4f91-900e-d77486753710/", nil, 404},
		{"malformed status id", "GET", "/stixhub/status/xyz/", nil, 404},
		{"unknown object", "GET", coll("all") + "objects/" + id + "/", nil, 404},
		{"unknown object versions", "GET", coll("all") + "objects/" + id + "/versions/", nil, 404},
		{"malformed object id", "GET", coll("all") + "objects/foo/", nil, 404},
		{"delete unknown object", "DELETE", coll("all") + "objects/" + id + "/", nil, 404},
		{"method", "PUT", coll("all") + "objects/", nil, 405},
		{"method on discovery", "POST", "/taxii2/", nil, 405},
		{"accept json", "GET", "/taxii2/", []string{"Accept", "application/json"}, 406},
		{"accept taxii 2.0", "GET", "/taxii2/", []string{"Accept", "application/taxii+json;version=2.0"}, 406},
		{"accept q=0", "GET", "/taxii2/", []string{"Accept", "application/taxii+json;q=0"}, 406},
		{"bad limit", "GET", coll("all") + "objects/?limit=0", nil, 400},
		{"limit not a number", "GET", coll("all") + "objects/?limit=ten", nil, 400},
		{"bad added_after", "GET", coll("all") + "objects/?added_after=yesterday", nil, 400},
		{"bad match[version]", "GET", coll("all") + "objects/?match[version]=newest", nil, 400},
		{"bad match[spec_version]", "GET", coll("all") + "objects/?match[spec_version]=3.0", nil, 400},
		{"bad match[type]", "GET", coll("all") + "objects/?match[type]=Indicator!", nil, 400},
		{"bad match[id]", "GET", coll("all") + "objects/?match[id]=indicator", nil, 400},
		{"unknown match field", "GET", coll("all") + "objects/?match[color]=red", nil, 400},
		{"match[type] on versions", "GET", coll("all") + "objects/" + sign.SignatureExtensionID + "/versions/?match[type]=indicator", nil, 400},
		{"garbage next", "GET", coll("all") + "objects/?next=abc", nil, 400},
		{"limit twice", "GET", coll("all") + "objects/?limit=1&limit=2", nil, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(tc.method, tc.path, nil, tc.hdr...)
			errorBody(t, r, tc.status)
			if tc.status == 405 && r.header.Get("Allow") == "" {
				t.Fatal("405 without Allow")
			}
		})
	}
	// Accept forms that are fine.
	for _, a := range []string{"application/taxii+json", "application/taxii+json;version=2.1", "*/*", "application/*", "text/html, application/taxii+json;version=2.1;q=0.5"} {
		if r := c.get("/taxii2/", "Accept", a); r.status != 200 {
			t.Fatalf("Accept %q: %d", a, r.status)
		}
	}
	if r := c.get("/taxii2/", "Accept", ""); r.status != 200 {
		t.Fatalf("no Accept: %d", r.status)
	}
}

func TestObjectsFilters(t *testing.T) {
	hub := hubtest.Start(t)
	bank := hub.AddMember(t, "Bank A")
	gc := hub.Client(t, bank)
	c := taxiiClient(t, hub, bank.Token)

	// One indicator in three versions (published out of order), two more
	// indicators, a malware.
	id := "indicator--7f3a0b59-5e43-4a4e-9d86-6d2a1c6f33a1"
	v1, v2, v3 := "2024-02-15T10:00:00.000Z", "2024-04-01T10:00:00.000Z", "2024-05-01T10:00:00.000Z"
	ver := func(m string) json.RawMessage {
		return indicator(t, func(o map[string]any) { o["id"] = id; o["created"] = v1; o["modified"] = m })
	}
	publish(t, gc, ver(v1), ver(v3))
	publish(t, gc, ver(v2))
	other1, other2 := indicator(t, nil), indicator(t, nil)
	mw := malware(t)
	cursors := publish(t, gc, other1, other2, mw)
	waitIndexed(t, hub, cursors[2])

	ids := func(path string) []string {
		t.Helper()
		var env envelope
		c.mustGet(path, &env)
		var out []string
		for _, h := range heads(t, env.Objects) {
			out = append(out, h.ID+"@"+h.Modified)
		}
		return out
	}
	o1 := heads(t, []json.RawMessage{other1, other2, mw})
	a := func(s ...string) string { return strings.Join(s, " ") }
	extDef := sign.SignatureExtensionID + "@" + taxii.ExtensionCreated
	check := func(path string, want ...string) {
		t.Helper()
		if got := a(ids(path)...); got != a(want...) {
			t.Fatalf("%s:\n got %s\nwant %s", path, got, a(want...))
		}
	}
	ind := func(h head) string { return h.ID + "@" + h.Modified }
	// Default: latest version of each object, in the order added; the
	// extension definition first.
	check(coll("all")+"objects/", extDef, id+"@"+v3, ind(o1[0]), ind(o1[1]), ind(o1[2]))
	check(coll("indicators")+"objects/", id+"@"+v3, ind(o1[0]), ind(o1[1]))
	check(coll("threats")+"objects/", ind(o1[2]))
	check(coll("context")+"objects/", extDef)
	check(coll("observables") + "objects/")
	check(coll("all")+"objects/"+q("match[version]", "all"), extDef, id+"@"+v1, id+"@"+v3, id+"@"+v2, ind(o1[0]), ind(o1[1]), ind(o1[2]))
	check(coll("all")+"objects/"+q("match[version]", "first"), extDef, id+"@"+v1, ind(o1[0]), ind(o1[1]), ind(o1[2]))
	check(coll("all")+"objects/"+q("match[version]", "last"), extDef, id+"@"+v3, ind(o1[0]), ind(o1[1]), ind(o1[2]))
	check(coll("all")+"objects/"+q("match[version]", "first,last"), extDef, id+"@"+v1, id+"@"+v3, ind(o1[0]), ind(o1[1]), ind(o1[2]))
	check(coll("all")+"objects/"+q("match[version]", "2024-04-01T10:00:00Z"), id+"@"+v2)
	check(coll("all")+"objects/"+q("match[version]", v2+","+v1), id+"@"+v1, id+"@"+v2)
	check(coll("all")+"objects/"+q("match[type]", "malware"), ind(o1[2]))
	check(coll("all")+"objects/"+q("match[type]", "malware,indicator"), id+"@"+v3, ind(o1[0]), ind(o1[1]), ind(o1[2]))
	check(coll("indicators") + "objects/" + q("match[type]", "malware"))
	check(coll("all")+"objects/"+q("match[id]", o1[1].ID+","+id), id+"@"+v3, ind(o1[1]))
	check(coll("all")+"objects/"+q("match[id]", "indicator--"+strings.ToUpper(o1[1].ID[len("indicator--"):])), ind(o1[1]))
	check(coll("all")+"objects/"+q("match[id]", id, "match[version]", "all", "match[type]", "indicator"), id+"@"+v1, id+"@"+v3, id+"@"+v2)
	check(coll("threats") + "objects/" + q("match[id]", id))
	check(coll("all") + "objects/" + q("match[spec_version]", "2.0"))
	check(coll("all")+"objects/"+q("match[spec_version]", "2.1", "match[type]", "malware"), ind(o1[2]))

	// added_after is strict, on date_added, and agrees with the headers.
	var env envelope
	r := c.mustGet(coll("all")+"objects/"+q("match[version]", "all"), &env)
	first, last := r.header.Get("X-TAXII-Date-Added-First"), r.header.Get("X-TAXII-Date-Added-Last")
	if first != "2026-01-01T00:00:00.000000Z" || last == "" || env.More || env.Next != "" {
		t.Fatalf("headers %q %q, more %v next %q", first, last, env.More, env.Next)
	}
	check(coll("all") + "objects/" + q("added_after", last))
	check(coll("all")+"objects/"+q("added_after", first, "match[type]", "indicator", "match[version]", "all"), id+"@"+v1, id+"@"+v3, id+"@"+v2, ind(o1[0]), ind(o1[1]))
	lastT, _ := time.Parse(time.RFC3339Nano, last)
	check(coll("all")+"objects/"+q("added_after", lastT.Add(-time.Microsecond).Format(time.RFC3339Nano)), ind(o1[2]))
	check(coll("all")+"objects/"+q("added_after", "2000-01-01T00:00:00Z", "match[type]", "extension-definition"), extDef)

	// Manifest: the same selection as records.
	var man struct {
		More    bool `json:"more"`
		Objects []struct {
			ID        string `json:"id"`
			DateAdded string `json:"date_added"`
			Version   string `json:"version"`
			MediaType string `json:"media_type"`
		} `json:"objects"`
	}
	r = c.mustGet(coll("indicators")+"manifest/"+q("match[version]", "all", "match[id]", id), &man)
	if len(man.Objects) != 3 || man.Objects[0].Version != v1 || man.Objects[1].Version != v3 || man.Objects[2].Version != v2 ||
		man.Objects[0].MediaType != "application/stix+json;version=2.1" || man.Objects[0].DateAdded != r.header.Get("X-TAXII-Date-Added-First") ||
		man.Objects[2].DateAdded != r.header.Get("X-TAXII-Date-Added-Last") || man.More {
		t.Fatalf("manifest %+v", man)
	}

	// One object, and its versions.
	check(coll("indicators")+"objects/"+id+"/", id+"@"+v3)
	check(coll("all")+"objects/"+id+"/"+q("match[version]", "all"), id+"@"+v1, id+"@"+v3, id+"@"+v2)
	check(coll("all")+"objects/"+id+"/"+q("match[version]", "first"), id+"@"+v1)
	check(coll("all")+"objects/indicator--"+strings.ToUpper(id[len("indicator--"):])+"/"+q("match[version]", v2), id+"@"+v2)
	check(coll("all") + "objects/" + id + "/" + q("match[version]", "2020-01-01T00:00:00Z"))
	errorBody(t, c.get(coll("threats")+"objects/"+id+"/"), http.StatusNotFound)
	var vers struct {
		More     bool     `json:"more"`
		Versions []string `json:"versions"`
	}
	c.mustGet(coll("all")+"objects/"+id+"/versions/", &vers)
	if a(vers.Versions...) != a(v1, v3, v2) || vers.More {
		t.Fatalf("versions %+v", vers)
	}
	c.mustGet(coll("all")+"objects/"+id+"/versions/"+q("limit", "2"), &vers)
	if a(vers.Versions...) != a(v1, v3) || !vers.More {
		t.Fatalf("versions limit 2 %+v", vers)
	}
	// The extension definition is served like any object.
	var ed envelope
	c.mustGet(coll("context")+"objects/"+sign.SignatureExtensionID+"/", &ed)
	if len(ed.Objects) != 1 || string(ed.Objects[0]) != string(taxii.ExtensionDefinition) {
		t.Fatalf("extension definition %s", ed.Objects)
	}

	// Delete is refused: the record is append-only.
	errorBody(t, c.do(http.MethodDelete, coll("all")+"objects/"+id+"/", nil), http.StatusForbidden)
	check(coll("all")+"objects/"+id+"/", id+"@"+v3)
}
