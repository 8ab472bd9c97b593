package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"google.golang.org/protobuf/proto"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/stixhub/stixhub/internal/registry"
	"github.com/stixhub/stixhub/internal/store"
	"github.com/stixhub/stixhub/internal/taxii"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// taxiiIndexFile is the node's derived TAXII index in the data directory.
// Deleting it (hub stopped) makes the next start rebuild it from the stream.
const taxiiIndexFile = "taxii-index.db"

// taxiiNode is the TAXII 2.1 server of a hub node.
type taxiiNode struct {
	index    *taxii.Index
	srv      *http.Server
	listener net.Listener
	stop     context.CancelFunc
	followed sync.WaitGroup
}

// taxiiEnabled reports whether the configuration asks for TAXII.
func (c *Config) taxiiEnabled() bool {
	return c.TAXIIAddr != "" && !strings.EqualFold(c.TAXIIAddr, "off")
}

// startTAXII opens the TAXII index, catches it up with the stream, keeps
// it current, and serves TAXII 2.1 over HTTPS with the gRPC certificate.
func (h *Hub) startTAXII(ctx context.Context, tlsConf *tls.Config) error {
	if !h.cfg.taxiiEnabled() {
		return nil
	}
	t := &taxiiNode{}
	h.taxii = t
	stream, err := h.broker.JS.Stream(ctx, store.DefaultStream)
	if err != nil {
		return fmt.Errorf("TAXII: object stream: %w", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("TAXII: object stream: %w", err)
	}
	streamID := info.Config.Name + "@" + info.Created.UTC().Format(time.RFC3339Nano)
	if t.index, err = taxii.OpenIndex(filepath.Join(h.cfg.DataDir, taxiiIndexFile), streamID, h.log); err != nil {
		return err
	}
	if err := t.index.CatchUp(ctx, h.feed); err != nil {
		return err
	}
	followCtx, stop := context.WithCancel(context.Background())
	t.stop = stop
	t.followed.Go(func() { t.index.Follow(followCtx, h.feed) })
	state, err := taxii.OpenState(ctx, h.broker.JS, h.cfg.Replicas)
	if err != nil {
		return err
	}
	handler := taxii.NewHandler(taxii.Config{
		Index:     t.index,
		State:     state,
		Auth:      h.registry,
		Members:   h.registry,
		Publisher: h,
		May:       h.taxiiMayRead,
		CanWrite:  func(m registry.Member) bool { return m.TaxiiUnsigned },
		Logger:    h.log,

		Limiter:          h.limits,
		MaxContentLength: h.cfg.TAXIIMaxContentLength,
	})
	if t.listener, err = net.Listen("tcp", h.cfg.TAXIIAddr); err != nil {
		return fmt.Errorf("TAXII: listen on %s: %w", h.cfg.TAXIIAddr, err)
	}
	tc := tlsConf.Clone()
	tc.NextProtos = []string{"h2", "http/1.1"}
	t.srv = &http.Server{
		Handler:           handler,
		TLSConfig:         tc,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(h.log.Handler(), slog.LevelDebug),
	}
	go func() {
		if err := t.srv.ServeTLS(t.listener, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.log.Error("TAXII server stopped", "err", err)
		}
	}()
	h.log.Info("TAXII 2.1 listening", "addr", "https://"+t.listener.Addr().String()+"/taxii2/",
		"index", filepath.Join(h.cfg.DataDir, taxiiIndexFile), "indexed_to", t.index.Position())
	return nil
}

// TAXIIAddr returns the TAXII listen address, or nil when TAXII is off.
func (h *Hub) TAXIIAddr() net.Addr {
	if h.taxii == nil || h.taxii.listener == nil {
		return nil
	}
	return h.taxii.listener.Addr()
}

// TAXIIIndexPosition returns the last stream sequence the node's TAXII
// index covers (0 when TAXII is off).
func (h *Hub) TAXIIIndexPosition() uint64 {
	if h.taxii == nil || h.taxii.index == nil {
		return 0
	}
	return h.taxii.index.Position()
}

// stopTAXII stops serving TAXII, then stops following the stream and
// closes the index.
func (h *Hub) stopTAXII(ctx context.Context) {
	t := h.taxii
	if t == nil {
		return
	}
	h.taxii = nil
	if t.srv != nil {
		if err := t.srv.Shutdown(ctx); err != nil {
			_ = t.srv.Close()
		}
	}
	if t.stop != nil {
		t.stop()
		t.followed.Wait()
	}
	if t.index != nil {
		_ = t.index.Close()
	}
}

// taxiiMayRead is the TAXII index's read policy: mayRead over the sharing
// the index keeps with each object.
func (h *Hub) taxiiMayRead(reader string, publisher, sharing []byte) bool {
	var sh stixhubv1.Sharing
	if len(sharing) > 0 && proto.Unmarshal(sharing, &sh) != nil {
		return false
	}
	return h.mayRead(reader, string(publisher), &sh)
}

// PostObjects stores objects posted over TAXII (taxii.Publisher). An
// object carrying the hub's signature extension with a key id and
// signature goes through exactly the gRPC Publish checks; any other is
// checked the same way but for key and signature, and is stored
// hub-attested: no member key or signature, the member id and the hub's
// receipt. The caller has checked that the member may post.
func (h *Hub) PostObjects(ctx context.Context, member registry.Member, objects []json.RawMessage) ([]taxii.PostResult, error) {
	now := time.Now()
	checks := make([]checked, len(objects))
	parallelFor(len(objects), func(i int) {
		checks[i] = h.checkPosted(member, objects[i], now)
	})
	entries := make([]store.Entry, 0, len(objects))
	positions := make([]int, 0, len(objects))
	for i := range checks {
		if checks[i].result.Error == nil {
			entries = append(entries, checks[i].entry)
			positions = append(positions, i)
		}
	}
	out := make([]taxii.PostResult, len(objects))
	for i, c := range checks {
		out[i] = taxii.PostResult{ID: c.result.GetObjectId(), Version: c.result.GetModified()}
		if e := c.result.GetError(); e != nil {
			out[i].Message = objectErrorText(e)
		}
	}
	// Store in batches the size gRPC Publish takes.
	for lo := 0; lo < len(entries); lo += h.cfg.MaxBatch {
		hi := min(lo+h.cfg.MaxBatch, len(entries))
		stored, err := h.store.Append(ctx, entries[lo:hi])
		if err != nil {
			return nil, err
		}
		for j, r := range stored {
			res := &out[positions[lo+j]]
			switch r.Outcome {
			case store.Accepted:
				res.Stored, res.Cursor = true, r.Cursor
			case store.Duplicate:
				res.Stored, res.Cursor, res.Message = true, r.Cursor, "duplicate: this version was already stored"
			default:
				res.Message = objectErrorText(storeRejection(r.Err))
			}
		}
	}
	return out, nil
}

// checkPosted checks one object posted over TAXII.
func (h *Hub) checkPosted(member registry.Member, raw []byte, now time.Time) checked {
	if ext, err := taxii.ReadExtension(raw); err == nil && (ext.KeyID != "" || len(ext.Signature) > 0) {
		return h.checkObject(member, &stixhubv1.SignedObject{Object: raw, KeyId: ext.KeyID, Signature: ext.Signature}, now, audience{})
	}
	res := &stixhubv1.PublishResult{}
	if n := len(raw); n > h.cfg.MaxObjectBytes {
		res.Error = objectError(codes.InvalidArgument, "object too large",
			violation("object", fmt.Sprintf("%d bytes is over the %d byte limit", n, h.cfg.MaxObjectBytes)))
		return checked{result: res}
	}
	obj, canonical, sharing, rej := h.checkContent(member, raw, res, audience{})
	if rej != nil {
		res.Error = rej
		return checked{result: res}
	}
	return checked{result: res, entry: store.Entry{
		ID:         obj.ID,
		VersionKey: obj.VersionKey(),
		Modified:   obj.ModifiedString(),
		Canonical:  canonical,
		MemberID:   member.ID,
		Sharing:    sharing,
	}}
}

// objectErrorText is an object error as one line for a TAXII status.
func objectErrorText(e *stixhubv1.ObjectError) string {
	var b strings.Builder
	b.WriteString(e.GetMessage())
	sep := ": "
	for _, v := range e.GetFieldViolations() {
		if strings.Contains(e.GetMessage(), v.GetDescription()) {
			continue // STIX validation messages already list them
		}
		b.WriteString(sep + v.GetField() + ": " + v.GetDescription())
		sep = "; "
	}
	return b.String()
}

// LastCursor returns the cursor of the last object in the stream.
func (h *Hub) LastCursor(ctx context.Context) (uint64, error) { return h.store.LastCursor(ctx) }
