package taxii_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stixhub/stixhub/client"
	"github.com/stixhub/stixhub/internal/hubtest"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

const mediaType = "application/taxii+json;version=2.1"

// tx is a TAXII client for one hub and one credential.
type tx struct {
	t     testing.TB
	base  string
	http  *http.Client
	token string
}

func taxiiClient(t testing.TB, hub *hubtest.Hub, token string) *tx {
	t.Helper()
	pem, err := os.ReadFile(hub.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 8}
	t.Cleanup(tr.CloseIdleConnections)
	return &tx{t: t, base: "https://" + hub.TAXIIAddr().String(), http: &http.Client{Transport: tr, Timeout: 30 * time.Second}, token: token}
}

// as returns a client with another token on the same connection pool.
func (c *tx) as(token string) *tx {
	d := *c
	d.token = token
	return &d
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request; hdr may override Accept, Authorization and
// Content-Type ("" removes a header).
func (c *tx) do(method, path string, body []byte, hdr ...string) resp {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", mediaType)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", mediaType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func (c *tx) get(path string, hdr ...string) resp {
	c.t.Helper()
	return c.do(http.MethodGet, path, nil, hdr...)
}

// mustGet fails unless the status is 200 and the media type TAXII's.
func (c *tx) mustGet(path string, v any) resp {
	c.t.Helper()
	r := c.get(path)
	if r.status != http.StatusOK {
		c.t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != mediaType {
		c.t.Fatalf("GET %s: Content-Type %q", path, ct)
	}
	if v != nil {
		r.json(c.t, v)
	}
	return r
}

// envelope is a TAXII envelope.
type envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

type head struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Modified string `json:"modified"`
}

func heads(t testing.TB, objs []json.RawMessage) []head {
	t.Helper()
	out := make([]head, len(objs))
	for i, o := range objs {
		if err := json.Unmarshal(o, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// errorBody checks a TAXII error response.
func errorBody(t testing.TB, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var e struct {
		Title      string `json:"title"`
		HTTPStatus string `json:"http_status"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Title == "" || e.HTTPStatus != fmt.Sprint(status) {
		t.Fatalf("not a TAXII error for %d: %s", status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != mediaType {
		t.Fatalf("error Content-Type %q", ct)
	}
}

// indicator is hubtest.Indicator: a valid indicator, adjusted by mod.
var indicator = hubtest.Indicator

func malware(t testing.TB) json.RawMessage {
	t.Helper()
	return json.RawMessage(`{"type":"malware","spec_version":"2.1","id":"malware--` + uuid.NewString() +
		`","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","name":"AppleJeus","is_family":true}`)
}

// publish publishes signed objects over gRPC and fails unless all are
// accepted; it returns their cursors.
func publish(t testing.TB, c *client.Client, objs ...json.RawMessage) []uint64 {
	t.Helper()
	rs, err := c.Publish(context.Background(), objs...)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	cursors := make([]uint64, len(rs))
	for i, r := range rs {
		if r.GetOutcome() != stixhubv1.Outcome_OUTCOME_ACCEPTED {
			t.Fatalf("publish %d: %v", i, r)
		}
		cursors[i] = r.GetCursor()
	}
	return cursors
}

// waitIndexed waits until the hub's TAXII index covers cursor.
func waitIndexed(t testing.TB, hub *hubtest.Hub, cursor uint64) {
	t.Helper()
	hubtest.CheckFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if p := hub.TAXIIIndexPosition(); p < cursor {
			return fmt.Errorf("index at %d, want %d", p, cursor)
		}
		return nil
	})
}

func coll(alias string) string { return "/stixhub/collections/" + alias + "/" }

func q(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(kv[i] + "=" + url.QueryEscape(kv[i+1]))
	}
	return b.String()
}

// setUnsigned has the operator allow or refuse a member's unsigned TAXII
// posts through the admin API.
func setUnsigned(t *testing.T, hub *hubtest.Hub, memberID string, allowed bool) {
	t.Helper()
	m, err := hub.Operator(t).Admin().SetTaxiiUnsigned(context.Background(), memberID, allowed)
	if err != nil || m.GetTaxiiUnsigned() != allowed {
		t.Fatalf("set taxii-unsigned=%v for %s: %v %v", allowed, memberID, m, err)
	}
}
