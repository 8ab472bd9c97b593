// Package store is the hub's durable record of accepted objects: one
// JetStream stream, the single source of truth, written by a group-commit
// appender. Readers get it through internal/fanout, which holds the newest
// messages in memory and replays older ones with Replay.
//
// Each accepted object version is one stream message on the subject
// <prefix>.<type>, holding a stixhubv1.StoredObject, with headers naming the
// object id, its version and the publishing member. Its stream sequence is its
// cursor.
//
// Writes. Publish handlers verify objects in parallel and hand them to a
// single appender goroutine per hub node, which groups whatever is waiting
// (group commit) and for each group:
//
//  1. decides from the index whether each object is new, a duplicate of a
//     stored version, or an id another member owns;
//  2. assigns the new ones the next stream sequences, builds their receipt
//     leaves (which include those cursors) and signs one Merkle tree head for
//     the whole group;
//  3. publishes them asynchronously with JetStream guards: each with the
//     expected last sequence (the index's position for the first, the write
//     before it for the others) and, when other nodes share the stream, the
//     expected last message id of the write before it. A message is stored
//     only at the cursor its receipt names and only if everything between
//     it and what the index saw is this group's own writes, so the decisions
//     of step 1 still hold;
//  4. waits for the acknowledgements: only then is an object ACCEPTED.
//
// When the guard fails (another hub node wrote, or an acknowledgement was
// lost), the appender replays what it missed into the index and retries the
// rest of the group: nothing is acknowledged that the stream has not stored,
// and nothing is stored twice.
package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"google.golang.org/protobuf/proto"

	"github.com/stixhub/stixhub/internal/receipt"
	stixhubv1 "github.com/stixhub/stixhub/proto/stixhub/v1"
)

// Defaults for Config.
const (
	DefaultStream        = "STIXHUB_OBJECTS"
	DefaultSubjectPrefix = "stixhub.obj"
	DefaultMaxGroup      = 512
)

// Headers every stream message carries, so the index can be rebuilt from
// headers alone.
const (
	// HeaderID is the STIX id of the object.
	HeaderID = "Stixhub-Id"
	// HeaderVersion is its version key (stix.Object.VersionKey).
	HeaderVersion = "Stixhub-Version"
	// HeaderMember is the publishing member.
	HeaderMember = "Stixhub-Member"
	// HeaderSharing is who may read the object: base64 of its Sharing
	// protobuf, so access decisions on references need no body reads.
	HeaderSharing = "Stixhub-Sharing"
)

// RevocationSubjectToken is the last subject token of key revocation events
// in the object stream.
const RevocationSubjectToken = "_key-revoked"

// Errors reported in Result.Err or returned by Store methods.
var (
	// ErrOwnedByOther means another member already published an object with
	// this id; only that member may publish new versions of it.
	ErrOwnedByOther = errors.New("object id belongs to another member")
	// ErrUnavailable means the stream could not take the object now; nothing
	// was stored and the publisher may retry.
	ErrUnavailable = errors.New("store unavailable")
	// ErrClosed means the store is shutting down.
	ErrClosed = errors.New("store closed")
	// ErrCursorAhead means a subscription asked to start after a cursor the
	// stream has not reached.
	ErrCursorAhead = errors.New("cursor is beyond the end of the stream")
)

// Config configures a Store.
type Config struct {
	// Stream is the JetStream stream name. Default DefaultStream.
	Stream string
	// SubjectPrefix is the subject prefix of object messages. Default
	// DefaultSubjectPrefix.
	SubjectPrefix string
	// Replicas is the stream's replication factor. Default 1; use 3 on a
	// NATS cluster.
	Replicas int
	// MaxGroup caps how many waiting objects one group commit takes. Default
	// DefaultMaxGroup.
	MaxGroup int
	// Exclusive says this node is the only writer to the stream (an embedded
	// NATS server nobody else can reach). The index then replays the stream
	// at start only, instead of also tailing it for other nodes' writes,
	// which saves a delivery per stored object. Writes stay guarded either
	// way: a write from elsewhere is found and replayed at the next append.
	Exclusive bool
	// SubscribeJS, when set, is a JetStream handle on a second NATS
	// connection that subscriptions consume on. With one connection, the
	// fan-out to every subscriber shares it with the appender, and the
	// appender's acknowledgements queue behind thousands of deliveries.
	// Default: the writer's handle.
	SubscribeJS jetstream.JetStream
	// OnStored, when set, is called by the appender with each group's
	// stored messages, in cursor order, once JetStream acknowledged them and
	// before their publishers hear so. It runs on the appender's goroutine:
	// it must be quick and must not modify what it is given. An exclusive
	// store uses it to feed subscriptions without reading its own stream
	// back.
	OnStored func([]Stored)
	// Signer signs receipt tree heads. Required.
	Signer receipt.Signer
	// Logger is for operational events. Default slog.Default().
	Logger *slog.Logger
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() error {
	if c.Signer == nil {
		return errors.New("store: receipt signer required")
	}
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.MaxGroup == 0 {
		c.MaxGroup = DefaultMaxGroup
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Entry is one verified object ready to be stored.
type Entry struct {
	// ID is the STIX id, "<type>--<uuid>".
	ID string
	// VersionKey names the version (stix.Object.VersionKey).
	VersionKey string
	// Modified is the RFC 3339 `modified` for the receipt, "" if none.
	Modified string
	// Canonical is the object's canonical JSON.
	Canonical []byte
	// MemberID is the publishing member.
	MemberID string
	// KeyID and Signature are the member key and its signature.
	KeyID     string
	Signature []byte
	// Sharing is who may read the object.
	Sharing *stixhubv1.Sharing
	// Revocation, when set, makes this entry a key revocation event instead
	// of an object: every other field is ignored, and it is always stored.
	Revocation *stixhubv1.KeyRevocation
}

// Stored is one stream message as subscribers see it.
type Stored struct {
	// Type is the STIX type of the object, or RevocationSubjectToken.
	Type string
	// Delivery is the message; shared, so read-only.
	Delivery *stixhubv1.Delivery
}

// Outcome is what Append did with one entry.
type Outcome int

// Outcomes.
const (
	// Rejected: not stored; Result.Err says why.
	Rejected Outcome = iota
	// Accepted: stored now.
	Accepted
	// Duplicate: this member had already stored this version.
	Duplicate
)

// Result is the outcome for one Entry.
type Result struct {
	Outcome Outcome
	// Cursor and Receipt of the stored version (Accepted, Duplicate).
	Cursor  uint64
	Receipt *stixhubv1.Receipt
	// Err is ErrOwnedByOther or wraps ErrUnavailable (Rejected).
	Err error
}

// Store is the object stream of one hub node.
type Store struct {
	cfg    Config
	js     jetstream.JetStream
	stream jetstream.Stream
	subs   jetstream.Stream // the stream on SubscribeJS's connection
	idx    *index

	mu     sync.RWMutex // guards closed against sends on in
	closed bool
	in     chan []*item
	done   chan struct{} // closed when the appender has stopped

	next uint64 // next stream sequence; appender goroutine only

	tail *tail // nil for an exclusive store
	head head  // cached last cursor, for stalled subscriptions
}

// item is one entry waiting in the appender.
type item struct {
	e   *Entry
	res *Result
	wg  *sync.WaitGroup
}

// Open creates or updates the object stream, rebuilds the index from it and
// starts the appender. It returns once the index has caught up with the
// stream.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: "stixhub accepted STIX objects (source of truth)",
		Subjects:    []string{cfg.SubjectPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    cfg.Replicas,
		AllowDirect: true,
		DenyDelete:  true,
		DenyPurge:   true,
		// Message ids only chain the writes of one group (see write); the
		// dedup window that keeps them can be short.
		Duplicates: time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("create stream %s: %w", cfg.Stream, err)
	}
	s := &Store{
		cfg:    cfg,
		js:     js,
		stream: stream,
		idx:    newIndex(),
		in:     make(chan []*item, 256),
		done:   make(chan struct{}),
	}
	s.subs = stream
	if cfg.SubscribeJS != nil {
		if s.subs, err = cfg.SubscribeJS.Stream(ctx, cfg.Stream); err != nil {
			return nil, fmt.Errorf("bind stream %s for subscriptions: %w", cfg.Stream, err)
		}
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("stream info: %w", err)
	}
	start := time.Now()
	if err := s.catchUp(ctx, info.State.LastSeq); err != nil {
		return nil, fmt.Errorf("rebuild index: %w", err)
	}
	s.next = info.State.LastSeq + 1
	if !cfg.Exclusive {
		if s.tail, err = startTail(ctx, s, s.next); err != nil {
			return nil, err
		}
	}
	cfg.Logger.Info("object stream ready", "stream", cfg.Stream, "objects", info.State.Msgs,
		"last_cursor", info.State.LastSeq, "ids_indexed", s.idx.len(), "index_rebuild", time.Since(start).Round(time.Millisecond))
	go s.run()
	return s, nil
}

// Close finishes every group already handed to the appender, then stops.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.in)
	s.mu.Unlock()
	<-s.done
	s.tail.stop()
	return nil
}

// LastCursor returns the stream's last sequence.
func (s *Store) LastCursor(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w: stream info: %v", ErrUnavailable, err)
	}
	return info.State.LastSeq, nil
}

// Append stores entries and returns one result per entry, in order. It
// returns when every entry has its outcome; an Accepted entry is durable in
// the stream. Once handed to the appender, entries are finished even if ctx is
// cancelled, so a publisher never sees a half-done batch.
func (s *Store) Append(ctx context.Context, entries []Entry) ([]Result, error) {
	results := make([]Result, len(entries))
	if len(entries) == 0 {
		return results, nil
	}
	var wg sync.WaitGroup
	wg.Add(len(entries))
	backing := make([]item, len(entries)) // one allocation, not one per entry
	items := make([]*item, len(entries))
	for i := range entries {
		backing[i] = item{e: &entries[i], res: &results[i], wg: &wg}
		items[i] = &backing[i]
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, ErrClosed
	}
	select {
	case s.in <- items:
	case <-ctx.Done():
		s.mu.RUnlock()
		return nil, ctx.Err()
	}
	s.mu.RUnlock()
	wg.Wait()
	for i := range results {
		if results[i].Outcome == Duplicate && results[i].Receipt == nil {
			s.fillDuplicate(ctx, &results[i])
		}
	}
	return results, nil
}

// fillDuplicate loads the receipt of the stored version a duplicate points to.
func (s *Store) fillDuplicate(ctx context.Context, r *Result) {
	rec, err := s.Get(ctx, r.Cursor)
	if err != nil {
		s.cfg.Logger.Warn("load receipt of duplicate", "cursor", r.Cursor, "err", err)
		return
	}
	r.Receipt = rec.GetReceipt()
}

// SharingOf returns the publisher and sharing of the newest stored version of
// a STIX id, from the node's index (access.Refs).
func (s *Store) SharingOf(id string) (string, *stixhubv1.Sharing, bool) {
	return s.idx.readableBy(id)
}

// Get returns the stored record at a cursor.
func (s *Store) Get(ctx context.Context, cursor uint64) (*stixhubv1.StoredObject, error) {
	m, err := s.stream.GetMsg(ctx, cursor)
	if err != nil {
		return nil, fmt.Errorf("get cursor %d: %w", cursor, err)
	}
	var rec stixhubv1.StoredObject
	if err := proto.Unmarshal(m.Data, &rec); err != nil {
		return nil, fmt.Errorf("decode cursor %d: %w", cursor, err)
	}
	return &rec, nil
}

// run is the appender: it takes whatever is waiting, up to MaxGroup, and
// commits it as one group.
func (s *Store) run() {
	defer close(s.done)
	for batch := range s.in {
		group := batch
	fill:
		for len(group) < s.cfg.MaxGroup {
			select {
			case b, ok := <-s.in:
				if !ok {
					break fill
				}
				group = append(group, b...)
			default:
				break fill
			}
		}
		s.commit(group)
	}
}

// giveUpAfter bounds how long one group may keep failing before the rest of
// it is reported unavailable.
const giveUpAfter = 10 * time.Second

// plannedWrite is an item the current attempt will publish.
type plannedWrite struct {
	*item
	seq uint64 // cursor it must land at
}

// commit stores one group, retrying the unstored tail after a guard failure.
// Another node writing to the stream makes a guard fail; a short random pause
// lets its burst finish, so two busy nodes take turns instead of colliding
// again.
func (s *Store) commit(group []*item) {
	ctx := context.Background()
	pending := group
	deadline := time.Now().Add(giveUpAfter)
	for failures := 0; len(pending) > 0; {
		if time.Now().After(deadline) {
			for _, it := range pending {
				s.finish(it, Result{Err: fmt.Errorf("%w: could not append for %v", ErrUnavailable, giveUpAfter)})
			}
			return
		}
		writes, deferred := s.plan(pending)
		failed, transient := s.write(ctx, writes)
		switch {
		case len(failed) == 0:
			failures = 0
		case transient:
			failures++
			time.Sleep(min(time.Duration(failures)*50*time.Millisecond, time.Second))
			s.resync(ctx)
		default:
			failures++
			time.Sleep(time.Duration(rand.Int64N(int64(min(failures, 20)) * int64(time.Millisecond))))
			s.resync(ctx)
		}
		pending = append(failed, deferred...)
	}
}

// plan decides each pending item against the index. Items that can be
// decided now (duplicates, other owners) are finished; the rest become writes
// at consecutive cursors. An item whose id already has a write planned in this
// attempt is deferred to the next one, when that write's outcome is known.
func (s *Store) plan(pending []*item) (writes []plannedWrite, deferred []*item) {
	if p := s.idx.position(); p >= s.next {
		s.next = p + 1 // the tail has seen other nodes' writes
	}
	planned := make(map[string]bool)
	for _, it := range pending {
		if it.e.Revocation != nil {
			writes = append(writes, plannedWrite{item: it, seq: s.next + uint64(len(writes))})
			continue
		}
		if planned[idKey(it.e.ID)] {
			deferred = append(deferred, it)
			continue
		}
		switch v, seq := s.idx.judge(it.e.ID, it.e.MemberID, it.e.VersionKey); v {
		case othersID:
			s.finish(it, Result{Err: ErrOwnedByOther})
			continue
		case storedVersion:
			s.finish(it, Result{Outcome: Duplicate, Cursor: seq})
			continue
		}
		planned[idKey(it.e.ID)] = true
		writes = append(writes, plannedWrite{item: it, seq: s.next + uint64(len(writes))})
	}
	return writes, deferred
}

// write publishes planned writes and waits for their acknowledgements. It
// finishes the ones stored and returns the others; transient is true when a
// failure was not a guard conflict (timeouts, no connection).
func (s *Store) write(ctx context.Context, writes []plannedWrite) (failed []*item, transient bool) {
	if len(writes) == 0 {
		return nil, false
	}
	now := s.cfg.Now().UTC()
	leaves := make([]receipt.Leaf, 0, len(writes))
	leafOf := make([]int, len(writes)) // writes[i]'s leaf, -1 for events
	for i, w := range writes {
		if w.e.Revocation != nil {
			leafOf[i] = -1
			continue
		}
		leafOf[i] = len(leaves)
		leaves = append(leaves, receipt.Leaf{
			ObjectID:     w.e.ID,
			Modified:     w.e.Modified,
			Cursor:       w.seq,
			AcceptedAt:   now,
			MemberID:     w.e.MemberID,
			KeyID:        w.e.KeyID,
			ObjectSHA256: sha256.Sum256(w.e.Canonical),
		})
	}
	var receipts []*stixhubv1.Receipt
	var err error
	if len(leaves) > 0 {
		receipts, err = receipt.Issue(ctx, s.cfg.Signer, leaves)
	}
	if err != nil {
		s.cfg.Logger.Error("sign receipts", "err", err)
		for _, w := range writes {
			failed = append(failed, w.item)
		}
		return failed, true
	}

	start := time.Now()
	var prevID string
	futures := make([]jetstream.PubAckFuture, 0, len(writes))
	recs := make([]*stixhubv1.StoredObject, 0, len(writes))
	sharings := make([]string, 0, len(writes)) // header forms, for the index
	var enc groupEncoding
	for i, w := range writes {
		msg, rec, err := s.message(w, receiptOf(receipts, leafOf[i]), &enc)
		if err != nil {
			s.cfg.Logger.Error("encode stored object", "id", w.e.ID, "err", err)
			break
		}
		if !s.cfg.Exclusive && s.cfg.Replicas == 1 {
			// Chain each write to the one before: if that one failed and
			// another node's message took its place, this one fails too,
			// instead of landing after a message the plan never saw. An
			// exclusive store has no other writer to take the place, and
			// saves the cost (about a fifth of JetStream's per message).
			//
			// Not on a replicated stream: there JetStream checks the
			// expected last message id only when a replica applies the
			// entry, not when the leader accepts it, and a mismatch is a
			// "critical write error" that stops the stream on every
			// replica (nats-server 2.15.2; seen with two hub nodes writing
			// at once). See outOfPlan for what that leaves open.
			msgID := nuid.Next()
			msg.Header[jetstream.MsgIDHeader] = []string{msgID}
			if i > 0 {
				msg.Header[jetstream.ExpectedLastMsgIDHeader] = []string{prevID}
			}
			prevID = msgID
		}
		f, err := s.js.PublishMsgAsync(msg)
		if err != nil {
			s.cfg.Logger.Warn("publish to stream", "id", w.e.ID, "err", err)
			break
		}
		futures = append(futures, f)
		recs = append(recs, rec)
		sharings = append(sharings, msg.Header.Get(HeaderSharing))
	}

	// One deadline for the whole group. A context, not a timer: once it
	// expires its channel stays closed, so every later future gives up too
	// (a timer's channel fires once, and the next lost acknowledgement, say
	// from a NATS node that was killed, would be waited for forever).
	ackCtx, cancelAcks := context.WithTimeout(ctx, 10*time.Second)
	defer cancelAcks()
	var maxSeq uint64
	anyFailed, outOfPlan := false, 0
	var stored []Stored
	type ok struct {
		i   int
		seq uint64
	}
	var accepted []ok // writes stored, finished once OnStored has them
	for i, w := range writes {
		if i >= len(futures) {
			failed = append(failed, w.item)
			transient = true
			continue
		}
		select {
		case ack := <-futures[i].Ok():
			if ack.Sequence != w.seq {
				// The guards make this impossible; if it happens the receipt
				// names the wrong cursor, so say so loudly.
				s.cfg.Logger.Error("stream stored object at an unexpected cursor", "id", w.e.ID, "want", w.seq, "got", ack.Sequence)
			}
			if anyFailed && s.cfg.Replicas > 1 {
				outOfPlan++
			}
			if w.e.Revocation != nil {
				s.idx.skipOwn(ack.Sequence)
			} else {
				s.idx.observeOwn(w.e.ID, w.e.VersionKey, w.e.MemberID, ack.Sequence, sharings[i])
			}
			accepted = append(accepted, ok{i, ack.Sequence})
			if s.cfg.OnStored != nil {
				stored = append(stored, storedOf(w.e, ack.Sequence, recs[i]))
			}
			maxSeq = max(maxSeq, ack.Sequence)
		case err := <-futures[i].Err():
			var apiErr *jetstream.APIError
			if !errors.As(err, &apiErr) || (apiErr.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequence &&
				apiErr.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequenceConstant) { // the code of R>1 streams
				transient = true
				s.cfg.Logger.Warn("stream refused object", "id", w.e.ID, "err", err)
			}
			failed = append(failed, w.item)
			anyFailed = true
		case <-ackCtx.Done():
			failed = append(failed, w.item)
			transient = true
			anyFailed = true
		}
	}
	if len(stored) > 0 {
		s.cfg.OnStored(stored)
	}
	for _, a := range accepted {
		s.finish(writes[a.i].item, Result{Outcome: Accepted, Cursor: a.seq, Receipt: receiptOf(receipts, leafOf[a.i])})
	}
	if len(failed) == 0 {
		s.next = maxSeq + 1
	}
	if outOfPlan > 0 {
		s.outOfPlan(outOfPlan)
	}
	if d := time.Since(start); d > time.Second {
		s.cfg.Logger.Warn("slow stream append", "objects", len(writes), "took", d.Round(time.Millisecond))
	}
	return failed, transient
}

// outOfPlan reports writes of a replicated stream that were stored although
// an earlier write of their group failed: they landed at their planned
// cursors, but possibly after another node's message that the plan did not
// see. Harmless unless that message has the same object id (the same version
// published through two nodes at the same instant, or an id another member
// took): then the stream holds it twice or under two owners. Atomic batch
// publish (JetStream 2.12+, the whole group guarded by its first message)
// closes this; until then it is counted in the log.
func (s *Store) outOfPlan(n int) {
	s.cfg.Logger.Debug("writes stored after a failed write of their group (concurrent writer)", "writes", n)
}

func receiptOf(receipts []*stixhubv1.Receipt, leaf int) *stixhubv1.Receipt {
	if leaf < 0 {
		return nil
	}
	return receipts[leaf]
}

// message encodes one planned write as a stream message guarded to land at
// its planned sequence. Objects go to <prefix>.<type> with the index headers;
// revocation events to <prefix>._key-revoked (no STIX type has an
// underscore), without them. enc carries what consecutive messages of a
// group usually share.
func (s *Store) message(w plannedWrite, rcpt *stixhubv1.Receipt, enc *groupEncoding) (*nats.Msg, *stixhubv1.StoredObject, error) {
	// Room for the index headers, the sequence guard and the message-id
	// chain (see write) without the map growing.
	msg := &nats.Msg{Header: make(nats.Header, 7)}
	var rec *stixhubv1.StoredObject
	if w.e.Revocation != nil {
		rec = &stixhubv1.StoredObject{KeyRevocation: w.e.Revocation}
		msg.Subject = s.cfg.SubjectPrefix + "." + RevocationSubjectToken
	} else {
		rec = &stixhubv1.StoredObject{
			Object:   &stixhubv1.SignedObject{Object: w.e.Canonical, KeyId: w.e.KeyID, Signature: w.e.Signature},
			MemberId: w.e.MemberID,
			Receipt:  rcpt,
			Sharing:  w.e.Sharing,
		}
		msg.Subject = enc.subject(s.cfg.SubjectPrefix, w.e.ID)
		msg.Header[HeaderID] = []string{w.e.ID}
		msg.Header[HeaderVersion] = []string{w.e.VersionKey}
		msg.Header[HeaderMember] = []string{w.e.MemberID}
		if w.e.Sharing != nil {
			msg.Header[HeaderSharing] = []string{enc.sharing(w.e.Sharing)}
		}
	}
	msg.Header[jetstream.ExpectedLastSeqHeader] = []string{strconv.FormatUint(w.seq-1, 10)}
	data, err := proto.Marshal(rec)
	msg.Data = data
	return msg, rec, err
}

// groupEncoding remembers the subject and sharing header of the last
// message of a group: the objects of one publish request usually have the
// same type and the same audience, and the header leaves out the references,
// the only part of a Sharing that differs between them.
type groupEncoding struct {
	typ, subj  string
	sh         *stixhubv1.Sharing
	sharingHdr string
}

// subject returns typeSubject(prefix, id).
func (g *groupEncoding) subject(prefix, id string) string {
	typ, _, _ := strings.Cut(id, "--")
	if g.subj == "" || typ != g.typ {
		g.typ, g.subj = typ, typeSubject(prefix, id)
	}
	return g.subj
}

// sharing returns encodeSharing(sh).
func (g *groupEncoding) sharing(sh *stixhubv1.Sharing) string {
	if p := g.sh; p == nil || p.GetTlp() != sh.GetTlp() || p.GetDefaultTlp() != sh.GetDefaultTlp() ||
		!slices.Equal(p.GetGroups(), sh.GetGroups()) || !slices.Equal(p.GetRecipients(), sh.GetRecipients()) {
		g.sh, g.sharingHdr = sh, encodeSharing(sh)
	}
	return g.sharingHdr
}

// resync replays into the index whatever the stream holds beyond it: other
// nodes' writes, and own writes whose acknowledgement was lost. Then the
// failed items are decided again from the truth.
func (s *Store) resync(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	info, err := s.stream.Info(ctx)
	if err != nil {
		s.cfg.Logger.Warn("resync: stream info", "err", err)
		return
	}
	if err := s.catchUp(ctx, info.State.LastSeq); err != nil {
		s.cfg.Logger.Warn("resync: replay", "err", err)
		return
	}
	s.next = info.State.LastSeq + 1
}

func (s *Store) finish(it *item, r Result) {
	*it.res = r
	it.wg.Done()
}
