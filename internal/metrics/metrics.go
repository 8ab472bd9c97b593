// Package metrics keeps a hub node's Prometheus metrics and writes them in
// the Prometheus text exposition format (version 0.0.4).
//
// It is deliberately small: counters and histograms with labels, and gauges
// read at scrape time. The types mirror client_golang's (CounterVec,
// HistogramVec, GaugeFunc) so that moving to that library is a local change;
// today the module's go.sum lacks client_golang's dependencies.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry holds metrics and writes them. The zero value is not usable; use
// NewRegistry.
type Registry struct {
	mu      sync.Mutex
	metrics []metric
	names   map[string]bool
}

// metric is one metric family.
type metric interface {
	name() string
	write(w *bufio.Writer)
}

// NewRegistry returns a registry with the process metrics every Prometheus
// client exports (resident memory, CPU, goroutines, heap).
func NewRegistry() *Registry {
	r := &Registry{names: map[string]bool{}}
	r.register(processMetrics{})
	return r
}

func (r *Registry) register(m metric) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names[m.name()] {
		panic("metrics: duplicate metric " + m.name())
	}
	r.names[m.name()] = true
	r.metrics = append(r.metrics, m)
}

// WriteTo writes every metric in the text exposition format.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	ms := slices.Clone(r.metrics)
	r.mu.Unlock()
	cw := &countingWriter{w: w}
	bw := bufio.NewWriter(cw)
	for _, m := range ms {
		m.write(bw)
	}
	err := bw.Flush()
	return cw.n, err
}

// Handler serves the metrics over HTTP.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = r.WriteTo(w)
	})
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// CounterVec is a counter per combination of label values.
type CounterVec struct {
	family
	mu     sync.RWMutex
	values map[string]*atomic.Uint64 // joined label values -> count
}

// NewCounterVec registers a counter with the given labels.
func (r *Registry) NewCounterVec(name, help string, labels ...string) *CounterVec {
	c := &CounterVec{family: family{n: name, help: help, labels: labels}, values: map[string]*atomic.Uint64{}}
	r.register(c)
	return c
}

// Add adds n to the counter of the label values (one per label, in order).
func (c *CounterVec) Add(n uint64, values ...string) {
	key := c.key(values)
	c.mu.RLock()
	v, ok := c.values[key]
	c.mu.RUnlock()
	if !ok {
		c.mu.Lock()
		if v, ok = c.values[key]; !ok {
			v = new(atomic.Uint64)
			c.values[key] = v
		}
		c.mu.Unlock()
	}
	v.Add(n)
}

// Inc adds one.
func (c *CounterVec) Inc(values ...string) { c.Add(1, values...) }

// Value returns the counter of the label values.
func (c *CounterVec) Value(values ...string) uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if v, ok := c.values[c.key(values)]; ok {
		return v.Load()
	}
	return 0
}

func (c *CounterVec) write(w *bufio.Writer) {
	c.header(w, "counter")
	c.mu.RLock()
	keys := sortedKeys(c.values)
	for _, k := range keys {
		fmt.Fprintf(w, "%s%s %d\n", c.n, c.labelText(k, ""), c.values[k].Load())
	}
	c.mu.RUnlock()
}

// HistogramVec is a histogram per combination of label values.
type HistogramVec struct {
	family
	buckets []float64
	mu      sync.RWMutex
	values  map[string]*histogram
}

type histogram struct {
	mu     sync.Mutex
	counts []uint64 // per bucket, not cumulative; last is +Inf
	sum    float64
	count  uint64
}

// NewHistogramVec registers a histogram with upper bounds buckets
// (ascending) and the given labels.
func (r *Registry) NewHistogramVec(name, help string, buckets []float64, labels ...string) *HistogramVec {
	h := &HistogramVec{family: family{n: name, help: help, labels: labels}, buckets: slices.Clone(buckets), values: map[string]*histogram{}}
	r.register(h)
	return h
}

// Observe records one value for the label values.
func (h *HistogramVec) Observe(v float64, values ...string) {
	key := h.key(values)
	h.mu.RLock()
	x, ok := h.values[key]
	h.mu.RUnlock()
	if !ok {
		h.mu.Lock()
		if x, ok = h.values[key]; !ok {
			x = &histogram{counts: make([]uint64, len(h.buckets)+1)}
			h.values[key] = x
		}
		h.mu.Unlock()
	}
	i, _ := slices.BinarySearch(h.buckets, v)
	x.mu.Lock()
	x.counts[i]++
	x.sum += v
	x.count++
	x.mu.Unlock()
}

// Count returns how many values were observed for the label values.
func (h *HistogramVec) Count(values ...string) uint64 {
	h.mu.RLock()
	x, ok := h.values[h.key(values)]
	h.mu.RUnlock()
	if !ok {
		return 0
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.count
}

func (h *HistogramVec) write(w *bufio.Writer) {
	h.header(w, "histogram")
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, k := range sortedKeys(h.values) {
		x := h.values[k]
		x.mu.Lock()
		var cum uint64
		for i, c := range x.counts {
			cum += c
			le := "+Inf"
			if i < len(h.buckets) {
				le = formatFloat(h.buckets[i])
			}
			fmt.Fprintf(w, "%s_bucket%s %d\n", h.n, h.labelText(k, le), cum)
		}
		fmt.Fprintf(w, "%s_sum%s %s\n", h.n, h.labelText(k, ""), formatFloat(x.sum))
		fmt.Fprintf(w, "%s_count%s %d\n", h.n, h.labelText(k, ""), x.count)
		x.mu.Unlock()
	}
}

// Sample is one gauge value with its label values.
type Sample struct {
	Labels []string
	Value  float64
}

// GaugeFunc is a gauge whose samples are read at scrape time.
type GaugeFunc struct {
	family
	fn func() []Sample
}

// NewGaugeFunc registers a gauge read from fn at each scrape.
func (r *Registry) NewGaugeFunc(name, help string, fn func() []Sample, labels ...string) *GaugeFunc {
	g := &GaugeFunc{family: family{n: name, help: help, labels: labels}, fn: fn}
	r.register(g)
	return g
}

func (g *GaugeFunc) write(w *bufio.Writer) {
	g.header(w, "gauge")
	for _, s := range g.fn() {
		fmt.Fprintf(w, "%s%s %s\n", g.n, g.labelText(g.key(s.Labels), ""), formatFloat(s.Value))
	}
}

// family is what every metric has: name, help and label names.
type family struct {
	n, help string
	labels  []string
}

func (f *family) name() string { return f.n }

func (f *family) header(w *bufio.Writer, typ string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.n, escapeHelp(f.help), f.n, typ)
}

// key joins label values; it panics on a wrong count, a programming error.
func (f *family) key(values []string) string {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("metrics: %s wants %d label values, got %d", f.n, len(f.labels), len(values)))
	}
	return strings.Join(values, "\xff")
}

// labelText renders {a="x",b="y"} from a key, with le appended when set.
func (f *family) labelText(key, le string) string {
	if len(f.labels) == 0 && le == "" {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	if len(f.labels) > 0 {
		for i, v := range strings.Split(key, "\xff") {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(f.labels[i])
			b.WriteString(`="`)
			b.WriteString(escapeLabel(v))
			b.WriteByte('"')
		}
	}
	if le != "" {
		if len(f.labels) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`le="`)
		b.WriteString(le)
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// processMetrics are the standard process_* and go_* metrics.
type processMetrics struct{}

func (processMetrics) name() string { return "process" }

func (processMetrics) write(w *bufio.Writer) {
	if rss, ok := residentBytes(); ok {
		fmt.Fprintf(w, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %d\n", rss)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(w, "# HELP go_goroutines Number of goroutines that currently exist.\n# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintf(w, "# HELP go_memstats_heap_inuse_bytes Heap bytes in use.\n# TYPE go_memstats_heap_inuse_bytes gauge\ngo_memstats_heap_inuse_bytes %d\n", ms.HeapInuse)
	fmt.Fprintf(w, "# HELP go_memstats_sys_bytes Bytes obtained from the system.\n# TYPE go_memstats_sys_bytes gauge\ngo_memstats_sys_bytes %d\n", ms.Sys)
}

// residentBytes reads the resident set size from /proc (Linux only).
func residentBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}
