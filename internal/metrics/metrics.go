// Package metrics keeps a hub node's Prometheus metrics, on
// github.com/prometheus/client_golang: counters and histograms with labels,
// gauges read at scrape time, and the Go and process collectors every
// Prometheus client exports. The small API here is what the hub needs; the
// exposition, escaping and concurrency are the library's.
package metrics

import (
	"bytes"
	"io"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// Registry holds a node's metrics. Use NewRegistry.
type Registry struct {
	reg *prometheus.Registry
}

// NewRegistry returns a registry with the Go runtime and process metrics
// (resident memory, CPU, goroutines, heap).
func NewRegistry() *Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Registry{reg: reg}
}

// Handler serves the metrics over HTTP.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{})
}

// WriteTo writes every metric in the Prometheus text exposition format.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	families, err := r.reg.Gather()
	if err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	for _, f := range families {
		if _, err := expfmt.MetricFamilyToText(&buf, f); err != nil {
			return 0, err
		}
	}
	return buf.WriteTo(w)
}

// CounterVec is a counter per combination of label values.
type CounterVec struct{ v *prometheus.CounterVec }

// NewCounterVec registers a counter with the given labels. A name registered
// twice panics.
func (r *Registry) NewCounterVec(name, help string, labels ...string) *CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	r.reg.MustRegister(v)
	return &CounterVec{v: v}
}

// Add adds n to the counter of the label values (one per label, in order).
func (c *CounterVec) Add(n uint64, values ...string) { c.v.WithLabelValues(values...).Add(float64(n)) }

// Inc adds one.
func (c *CounterVec) Inc(values ...string) { c.v.WithLabelValues(values...).Inc() }

// Value returns the counter of the label values.
func (c *CounterVec) Value(values ...string) uint64 {
	var m dto.Metric
	if err := c.v.WithLabelValues(values...).Write(&m); err != nil {
		return 0
	}
	return uint64(m.GetCounter().GetValue())
}

// HistogramVec is a histogram per combination of label values.
type HistogramVec struct{ v *prometheus.HistogramVec }

// NewHistogramVec registers a histogram with the given bucket upper bounds
// and labels.
func (r *Registry) NewHistogramVec(name, help string, buckets []float64, labels ...string) *HistogramVec {
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	r.reg.MustRegister(v)
	return &HistogramVec{v: v}
}

// Observe records one value for the label values.
func (h *HistogramVec) Observe(v float64, values ...string) {
	h.v.WithLabelValues(values...).Observe(v)
}

// Count returns how many values were observed for the label values.
func (h *HistogramVec) Count(values ...string) uint64 {
	var m dto.Metric
	if err := h.v.WithLabelValues(values...).(prometheus.Metric).Write(&m); err != nil {
		return 0
	}
	return m.GetHistogram().GetSampleCount()
}

// Sample is one gauge value and its label values.
type Sample struct {
	Labels []string
	Value  float64
}

// NewGaugeFunc registers a gauge whose samples fn returns at each scrape.
func (r *Registry) NewGaugeFunc(name, help string, fn func() []Sample, labels ...string) {
	r.reg.MustRegister(&gaugeFunc{desc: prometheus.NewDesc(name, help, labels, nil), fn: fn})
}

// gaugeFunc collects fn's samples as gauges at scrape time.
type gaugeFunc struct {
	desc *prometheus.Desc
	fn   func() []Sample
}

func (g *gaugeFunc) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *gaugeFunc) Collect(ch chan<- prometheus.Metric) {
	for _, s := range g.fn() {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, s.Value, s.Labels...)
	}
}
