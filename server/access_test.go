package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	"github.com/stixhub/stixhub/internal/marking"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
	"github.com/stixhub/stixhub/server"
)

// The authorization matrix: every reader kind x every marking x every read
// endpoint, with the expected allow/deny written out as a table (not
// computed by the code under test). Any cell the table does not cover fails.

// Reader kinds.
const (
	rPublisher = "publisher"  // published the objects
	rGroupmate = "groupmate"  // in the group named on publish
	rOutsider  = "outsider"   // an active member in another group
	rRecipient = "recipient"  // named as a recipient on publish, in no group
	rSuspended = "suspended"  // in the group, but suspended
	rNoReader  = "no-reader"  // in the group, without the subscriber role
	rStranger  = "unrelated"  // in no group, not named: like outsider, groupless
	rRefReader = "groupmate2" // in the group; reads references too
)

var readerKinds = []string{rPublisher, rGroupmate, rOutsider, rRecipient, rSuspended, rNoReader, rStranger}

// Object rows: a marking, published by the publisher to group "g1" with one
// recipient, except where the row says otherwise.
type matrixRow struct {
	name    string
	marking string // TLP marking-definition id, "" for none
	readers []string
	// red ref: a TLP:GREEN relationship pointing at the TLP:RED row's object
	relToRed bool
	// withGroups false: published with no --groups and no recipients
	noAudience bool
}

var matrixRows = []matrixRow{
	{name: "TLP:CLEAR", marking: marking.Clear.ID(), readers: []string{rPublisher, rGroupmate, rOutsider, rRecipient, rStranger}},
	{name: "TLP:GREEN", marking: marking.Green.ID(), readers: []string{rPublisher, rGroupmate, rOutsider, rRecipient, rStranger}},
	{name: "TLP:AMBER", marking: marking.Amber.ID(), readers: []string{rPublisher, rGroupmate, rRecipient}},
	{name: "TLP:AMBER+STRICT", marking: marking.AmberStrict.ID(), readers: []string{rPublisher, rGroupmate, rRecipient}},
	{name: "TLP:RED", marking: marking.Red.ID(), readers: []string{rPublisher, rRecipient}},
	{name: "TLP 1.0 AMBER", marking: "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", readers: []string{rPublisher, rGroupmate, rRecipient}},
	{name: "TLP 1.0 WHITE", marking: "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", readers: []string{rPublisher, rGroupmate, rOutsider, rRecipient, rStranger}},
	{name: "unmarked (hub default: AMBER to the groups named)", readers: []string{rPublisher, rGroupmate, rRecipient}},
	{name: "unmarked, no audience (AMBER to the publisher's groups)", noAudience: true, readers: []string{rPublisher, rGroupmate}},
	{name: "TLP:GREEN relationship to the TLP:RED object", marking: marking.Green.ID(), relToRed: true, readers: []string{rPublisher, rRecipient}},
}

// endpoints a reader can read through.
var matrixEndpoints = []string{"grpc-subscribe", "grpc-lookup", "taxii-objects", "taxii-object", "taxii-versions", "taxii-manifest"}

func TestAuthorizationMatrix(t *testing.T) {
	hub := hubtest.Start(t)
	ctx := context.Background()
	admin := hub.Operator(t).Admin()
	mustGroup := func(name string, members ...hubtest.Member) {
		if _, err := admin.CreateGroup(ctx, name); err != nil && status.Code(err) != codes.AlreadyExists {
			t.Fatal(err)
		}
		for _, m := range members {
			if _, err := admin.AddGroupMember(ctx, name, m.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	members := map[string]hubtest.Member{}
	for _, k := range readerKinds {
		members[k] = hub.AddLoneMember(t, k)
	}
	pub := members[rPublisher]
	mustGroup("g1", pub, members[rGroupmate], members[rSuspended], members[rNoReader])
	mustGroup("g2", members[rOutsider])
	if _, err := admin.SetRoles(ctx, members[rNoReader].ID, "publisher"); err != nil {
		t.Fatal(err)
	}

	// Publish one object per row; each indicator names its own IP so Lookup
	// finds exactly it.
	type published struct {
		row matrixRow
		id  string
		ip  string
	}
	var objs []published
	redID := ""
	pc := hub.Client(t, pub)
	for i, row := range matrixRows {
		ip := fmt.Sprintf("203.0.113.%d", i+1)
		o := map[string]any{
			"type": "indicator", "spec_version": "2.1", "id": "indicator--" + uuid.NewString(),
			"created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "valid_from": "2026-01-01T00:00:00Z",
			"pattern": fmt.Sprintf("[ipv4-addr:value = '%s']", ip), "pattern_type": "stix",
		}
		if row.relToRed {
			o = map[string]any{
				"type": "relationship", "spec_version": "2.1", "id": "relationship--" + uuid.NewString(),
				"created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
				"relationship_type": "indicates", "source_ref": redID, "target_ref": "malware--" + uuid.NewString(),
			}
			ip = ""
		}
		if row.marking != "" {
			o["object_marking_refs"] = []string{row.marking}
		}
		raw, _ := json.Marshal(o)
		to := client.Audience{Groups: []string{"g1"}, Recipients: []string{members[rRecipient].ID}}
		if row.noAudience {
			to = client.Audience{}
		}
		rs, err := pc.PublishTo(ctx, to, raw)
		if err != nil || rs[0].GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
			t.Fatalf("publish %s: %v %v", row.name, rs, err)
		}
		if row.name == "TLP:RED" {
			redID = o["id"].(string)
		}
		objs = append(objs, published{row, o["id"].(string), ip})
	}
	// A sentinel every reader may read ends each subscription.
	sentinel := indicator(t, func(m map[string]any) { m["object_marking_refs"] = []string{marking.Clear.ID()} })
	if rs, err := pc.Publish(ctx, sentinel); err != nil || rs[0].GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
		t.Fatalf("sentinel: %v %v", rs, err)
	}
	if _, err := admin.SuspendMember(ctx, members[rSuspended].ID); err != nil {
		t.Fatal(err)
	}

	taxii := taxiiGetter(t, hub)
	for _, reader := range readerKinds {
		m := members[reader]
		for _, ep := range matrixEndpoints {
			// What this reader sees through this endpoint, or why it is refused.
			seen, refused := readThrough(ctx, t, hub, taxii, m, ep, objs[len(objs)-1].id, func(yield func(id, ip string) bool) {
				for _, o := range objs {
					if !yield(o.id, o.ip) {
						return
					}
				}
			}, objectID(t, sentinel))
			for _, o := range objs {
				if ep == "grpc-lookup" && o.ip == "" {
					continue // a relationship names no observable
				}
				want := slices.Contains(o.row.readers, reader)
				got := seen[o.id]
				if got != want {
					t.Errorf("%-10s %-14s %-55s: read=%v, want %v (refused: %v)", reader, ep, o.row.name, got, want, refused)
				}
			}
			mayRead := reader != rSuspended && reader != rNoReader
			if (refused == nil) != mayRead {
				t.Errorf("%-10s %-14s: refused=%v, want refused=%v", reader, ep, refused, !mayRead)
			}
		}
	}
}

// readThrough reads every object through one endpoint as member m and
// returns the ids it saw, or the error that refused the reader.
func readThrough(ctx context.Context, t *testing.T, hub *hubtest.Hub, taxii func(token, path string) (int, []byte), m hubtest.Member, ep, lastID string,
	objects func(func(id, ip string) bool), sentinelID string) (map[string]bool, error) {
	t.Helper()
	seen := map[string]bool{}
	c := hub.Client(t, m)
	switch ep {
	case "grpc-subscribe":
		done := errors.New("sentinel")
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		err := c.Subscribe(sctx, client.Beginning(), func(_ context.Context, d *client.Delivery) error {
			id := objectID(t, d.GetObject().GetObject())
			if id == sentinelID {
				return done
			}
			seen[id] = true
			return nil
		})
		if !errors.Is(err, done) {
			return seen, err
		}
	case "grpc-lookup":
		var obs []client.Observable
		objects(func(_, ip string) bool {
			if ip != "" {
				obs = append(obs, client.Observable{Type: "ipv4-addr", Value: ip})
			}
			return true
		})
		var rs []*client.LookupResult
		var err error
		hubtest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
			rs, err = c.Lookup(ctx, obs)
			if err != nil || len(rs) != len(obs) {
				return nil // refused: reported below
			}
			// The sentinel is screened too: wait until the index caught up.
			for _, r := range rs {
				for _, mt := range r.GetMatches() {
					seen[mt.GetObjectId()] = true
				}
			}
			return nil
		})
		if err != nil {
			return seen, err
		}
	case "taxii-objects", "taxii-manifest":
		path := "/stixhub/collections/all/objects/?limit=1000"
		if ep == "taxii-manifest" {
			path = "/stixhub/collections/all/manifest/?limit=1000"
		}
		var code int
		var body []byte
		hubtest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
			code, body = taxii(m.Token, path)
			if code == http.StatusOK && !strings.Contains(string(body), sentinelID) {
				return fmt.Errorf("TAXII index has not caught up")
			}
			return nil
		})
		if code != http.StatusOK {
			return seen, fmt.Errorf("HTTP %d", code)
		}
		objects(func(id, _ string) bool {
			if strings.Contains(string(body), id) {
				seen[id] = true
			}
			return true
		})
	case "taxii-object", "taxii-versions":
		var refused error
		objects(func(id, _ string) bool {
			path := "/stixhub/collections/all/objects/" + id + "/"
			if ep == "taxii-versions" {
				path += "versions/"
			}
			code, body := taxii(m.Token, path)
			switch {
			case code == http.StatusOK && strings.Contains(string(body), id) || (ep == "taxii-versions" && code == http.StatusOK && strings.Contains(string(body), "2026-01-01T00:00:00")):
				seen[id] = true
			case code == http.StatusNotFound:
			default:
				refused = fmt.Errorf("HTTP %d", code)
			}
			return true
		})
		if refused != nil {
			return seen, refused
		}
	default:
		t.Fatalf("no endpoint %s", ep)
	}
	return seen, nil
}

// taxiiGetter returns a function that GETs a TAXII path with a member token.
func taxiiGetter(t *testing.T, hub *hubtest.Hub) func(token, path string) (int, []byte) {
	t.Helper()
	pem, err := os.ReadFile(hub.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	base := "https://" + hub.TAXIIAddr().String()
	return func(token, path string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/taxii+json;version=2.1")
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
}

// TestGroupRemovalCutsStreams: a member removed from a group has its open
// stream cut at once; it resumes by itself and no longer receives the
// group's objects.
func TestGroupRemovalCutsStreams(t *testing.T) {
	hub := hubtest.Start(t)
	ctx := context.Background()
	admin := hub.Operator(t).Admin()
	pub, reader := hub.AddLoneMember(t, "Bank"), hub.AddLoneMember(t, "CERT")
	for _, m := range []hubtest.Member{pub, reader} {
		if _, err := admin.CreateGroup(ctx, "g1"); err != nil && status.Code(err) != codes.AlreadyExists {
			t.Fatal(err)
		}
		if _, err := admin.AddGroupMember(ctx, "g1", m.ID); err != nil {
			t.Fatal(err)
		}
	}
	starts := make(chan uint64, 8)
	got := make(chan string, 8)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go hub.Client(t, reader).Subscribe(sctx, client.Now(), func(_ context.Context, d *client.Delivery) error {
		got <- objectID(t, d.GetObject().GetObject())
		return nil
	}, client.OnStart(func(after uint64) { starts <- after }), client.WithBackoff(10*time.Millisecond, 50*time.Millisecond))
	<-starts
	pc := hub.Client(t, pub)
	amber := func() json.RawMessage {
		return indicator(t, func(m map[string]any) { m["object_marking_refs"] = []string{marking.Amber.ID()} })
	}
	first := amber()
	publishAll(t, pc, first)
	if id := <-got; id != objectID(t, first) {
		t.Fatalf("got %s", id)
	}
	if _, err := admin.RemoveGroupMember(ctx, "g1", reader.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-starts: // cut and resumed
	case <-time.After(time.Second):
		t.Fatal("the stream of a member removed from a group was not cut within a second")
	}
	hidden, green := amber(), indicator(t, func(m map[string]any) { m["object_marking_refs"] = []string{marking.Green.ID()} })
	publishAll(t, pc, hidden, green)
	select {
	case id := <-got:
		if id != objectID(t, green) {
			t.Fatalf("after leaving the group the member received %s (the AMBER object is %s)", id, objectID(t, hidden))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the TLP:GREEN object never arrived")
	}
}

func TestRefsOf(t *testing.T) {
	obj := []byte(`{"type":"report","id":"report--1","created_by_ref":"identity--A","object_refs":["indicator--B","Malware--C","indicator--B"],` +
		`"object_marking_refs":["marking-definition--x"],"granular_markings":[{"marking_ref":"marking-definition--y","selectors":["name"]}],` +
		`"extensions":{"x":{"nested":{"sample_ref":"file--D"}}},"name":"not_ref","description_ref_like":"x"}`)
	got := server.RefsOf(obj)
	want := []string{"identity--a", "indicator--b", "malware--c", "file--d"}
	if !slices.Equal(got, want) {
		t.Fatalf("refs %v, want %v", got, want)
	}
}
