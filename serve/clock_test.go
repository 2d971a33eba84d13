package serve

import (
	"sync/atomic"
	"testing"
	"time"

	"forensics/watermark"
)

// clockAnchor is where a test clock starts: ten minutes into an hour, so
// that a test has 50 minutes of its own before the next repeat-window
// boundary (the default window is an hour).
var clockAnchor = time.Date(2030, 1, 7, 9, 10, 0, 0, time.UTC)

// testClock runs with real time (the pacer needs time to pass) from
// clockAnchor, and jumps forward when told. With it a test's seeded
// answers are the same every run, whatever the hour it runs at.
type testClock struct {
	off atomic.Int64 // nanoseconds added to time.Now
}

func newTestClock() *testClock {
	c := &testClock{}
	c.off.Store(int64(time.Until(clockAnchor)))
	return c
}

func (c *testClock) now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

// advance moves the clock forward by d.
func (c *testClock) advance(d time.Duration) { c.off.Add(int64(d)) }

// startClockedGateway is startGatewayWith on a test clock (g.clock).
func startClockedGateway(t testing.TB, key *watermark.Key, extra string, change func(*Config, *Options)) *gateway {
	t.Helper()
	clk := newTestClock()
	g := startGatewayWith(t, key, extra, func(c *Config, o *Options) {
		o.Now = clk.now
		if change != nil {
			change(c, o)
		}
	})
	g.clock = clk
	return g
}

// nextWindow moves the gateway's clock into the next repeat window, at
// the same place in it: decisions made before take effect.
func (g *gateway) nextWindow() {
	g.t.Helper()
	if g.clock == nil {
		g.t.Fatal("nextWindow on a gateway without a test clock")
	}
	g.clock.advance(time.Duration(g.srv.window))
}
