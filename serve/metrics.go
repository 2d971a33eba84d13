package serve

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the gateway's Prometheus series, served only to the admin
// (they show each account's risk and throttle, which a harvester would
// steer by). Account labels come from the config (a bounded set), never
// from the request.
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec   // endpoint, status, account
	tokens      *prometheus.CounterVec   // account, watermarked
	drafts      *prometheus.CounterVec   // outcome: accepted, rejected, discarded
	roundTrips  prometheus.Counter       // upstream requests made
	limited     *prometheus.CounterVec   // account, limit
	duration    *prometheus.HistogramVec // endpoint
	tokenTime   prometheus.Histogram     // seconds per generated token
	inFlight    prometheus.Gauge
	upstreamErr prometheus.Counter
	logErrors   prometheus.Counter
	paceStalls  prometheus.Counter   // paced releases that waited for generation
	risk        *prometheus.GaugeVec // account: last applied scan risk
	throttle    *prometheus.GaugeVec // account: active limit factor (1 none, 0 suspended)
	casesOpen   prometheus.Gauge     // open cases (no case or account label)
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "forensics_requests_total", Help: "Requests by endpoint, HTTP status and account.",
		}, []string{"endpoint", "status", "account"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "forensics_generated_tokens_total", Help: "Generated tokens by account and whether they were watermarked.",
		}, []string{"account", "watermarked"}),
		drafts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "forensics_speculative_drafts_total", Help: "Backend drafts accepted, rejected (replaced from the residual) or discarded (restart inside a character).",
		}, []string{"outcome"}),
		roundTrips: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "forensics_upstream_round_trips_total", Help: "Upstream generation requests; divide by generated tokens for round trips per token.",
		}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "forensics_rate_limited_total", Help: "Requests refused with 429, by account and limit.",
		}, []string{"account", "limit"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "forensics_request_duration_seconds", Help: "Request latency by endpoint.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"endpoint"}),
		tokenTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "forensics_token_seconds", Help: "Generation time per token.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "forensics_requests_in_flight", Help: "Requests being served.",
		}),
		upstreamErr: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "forensics_upstream_errors_total", Help: "Generations that failed upstream.",
		}),
		risk: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "forensics_account_risk", Help: "Risk score from the last applied scan-logs result.",
		}, []string{"account"}),
		throttle: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "forensics_account_throttle_factor", Help: "Active limit factor from scan results (1 = none, 0 = suspended).",
		}, []string{"account"}),
		logErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "forensics_request_log_errors_total", Help: "Request-log lines that could not be written (alert on any).",
		}),
	}
	m.paceStalls = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "forensics_pace_stalls_total", Help: "Times paced watermarked output waited for generation (each shows a client a pause; see serve/pace.go).",
	})
	m.casesOpen = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "forensics_cases_open", Help: "Open cases: accounts served under case keys (docs/cases.md).",
	})
	m.reg.MustRegister(m.casesOpen, m.requests, m.tokens, m.drafts, m.roundTrips, m.limited, m.duration, m.tokenTime, m.inFlight, m.upstreamErr, m.logErrors, m.risk, m.throttle, m.paceStalls,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
