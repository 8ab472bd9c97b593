package metrics

import (
	"strings"
	"testing"
)

func TestExpositionFormat(t *testing.T) {
	r := NewRegistry()
	c := r.NewCounterVec("jobs_total", "Jobs done.\nBy outcome.", "outcome")
	c.Inc("ok")
	c.Add(2, `bad "quoted"\`)
	h := r.NewHistogramVec("wait_seconds", "Wait.", []float64{0.1, 1})
	h.Observe(0.05)
	h.Observe(0.1) // on a bound: counts in that bucket
	h.Observe(5)
	r.NewGaugeFunc("queue", "Queue length.", func() []Sample {
		return []Sample{{Labels: []string{"a"}, Value: 3}, {Labels: []string{"b"}, Value: 0.5}}
	}, "name")

	var b strings.Builder
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"# HELP jobs_total Jobs done.\\nBy outcome.\n# TYPE jobs_total counter\n",
		`jobs_total{outcome="bad \"quoted\"\\"} 2` + "\n",
		`jobs_total{outcome="ok"} 1` + "\n",
		"# TYPE wait_seconds histogram\n",
		`wait_seconds_bucket{le="0.1"} 2` + "\n",
		`wait_seconds_bucket{le="1"} 2` + "\n",
		`wait_seconds_bucket{le="+Inf"} 3` + "\n",
		"wait_seconds_sum 5.15\n",
		"wait_seconds_count 3\n",
		`queue{name="a"} 3` + "\n",
		`queue{name="b"} 0.5` + "\n",
		"process_resident_memory_bytes ",
		"go_goroutines ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if got := c.Value("ok"); got != 1 {
		t.Errorf("Value = %d", got)
	}
	if got := h.Count(); got != 3 {
		t.Errorf("Count = %d", got)
	}
}

func TestDuplicateNameAndWrongLabelCountPanic(t *testing.T) {
	r := NewRegistry()
	c := r.NewCounterVec("x_total", "x", "a")
	for name, fn := range map[string]func(){
		"duplicate":   func() { r.NewCounterVec("x_total", "again") },
		"label count": func() { c.Inc("1", "2") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			fn()
		}()
	}
}
