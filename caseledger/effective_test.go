package caseledger

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nextHour is a rule that puts every event at the next whole hour.
func nextHour(decided, _ time.Time) time.Time { return decided.Truncate(time.Hour).Add(time.Hour) }

// TestEffective: Append sets Effective by the rule, never before the
// decision nor before the previous event's; Replay's Opened, Added and
// Closed are effective times and Decided the opening's decision time.
func TestEffective(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "l.jsonl"), testSigner, stepClock())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	hour := func(h int) time.Time { return time.Date(2026, 3, 1, h, 0, 0, 0, time.UTC) }
	steps := []struct {
		rule EffectiveRule
		e    Event
		want time.Time
	}{
		{nil, opening("c0", "z"), time.Date(2026, 3, 1, 9, 0, 1, 0, time.UTC)}, // no rule: when decided
		{nextHour, opening("c1", "a"), hour(10)},
		{nextHour, Event{Kind: KindExtended, Case: "c1", Accounts: []string{"b"}, Trigger: Trigger{Source: SourceScan}}, hour(10)},
		{func(d, _ time.Time) time.Time { return d.Add(-time.Hour) }, Event{Kind: KindClosed, Case: "c0"}, hour(10)},      // raised to the previous effective
		{func(d, nb time.Time) time.Time { return nb.Add(2 * time.Hour) }, Event{Kind: KindClosed, Case: "c1"}, hour(12)}, // the rule sees notBefore
	}
	for i, st := range steps {
		l.SetEffectiveRule(st.rule)
		e, err := l.Append(st.e)
		if err != nil {
			t.Fatal(err)
		}
		if !e.Effective.Equal(st.want) || e.Effective.Location() != time.UTC {
			t.Errorf("event %d: effective %s, want %s", i+1, e.Effective, st.want)
		}
	}
	events, err := ReadFile(l.Path(), pubOf(testSigner))
	if err != nil {
		t.Fatal(err)
	}
	cases, _ := Replay(events)
	c1 := cases[1]
	if !c1.Opened.Equal(hour(10)) || !c1.Decided.Equal(events[1].Time) || !c1.Closed.Equal(hour(12)) {
		t.Errorf("c1 opened %s decided %s closed %s", c1.Opened, c1.Decided, c1.Closed)
	}
	for _, m := range c1.Members {
		if !m.Added.Equal(hour(10)) {
			t.Errorf("member %s added %s, want the effective time", m.Account, m.Added)
		}
	}
}

// TestEffectiveRefused: a line whose effective time breaks the rules is
// refused even when its hash is recomputed (only the signature, then,
// would say it is forged).
func TestEffectiveRefused(t *testing.T) {
	events, err := ReadFile(writeTestLedger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		line   int
		change func(line int, e *Event)
		want   string
	}{
		{"before its decision", 2, func(n int, e *Event) {
			if n == 2 {
				e.Effective = e.Time.Add(-time.Nanosecond)
			}
		}, "before the decision"},
		{"before the previous", 3, func(n int, e *Event) {
			if n == 2 {
				e.Effective = e.Time.Add(time.Hour) // line 3 keeps its own time, after its decision
			}
		}, "before the previous event's effective"},
		{"zero", 1, func(n int, e *Event) { e.Effective = time.Time{} }, "not a UTC time"},
		{"not UTC", 1, func(n int, e *Event) { e.Effective = e.Effective.In(time.FixedZone("X", 3600)) }, "not a UTC time"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			prev := ""
			for i, e := range events {
				e.Prev, e.Sig = prev, ""
				tc.change(i+1, &e)
				e.Hash, _ = e.ComputeHash()
				prev = e.Hash
				line, _ := e.marshal()
				b.Write(append(line, '\n'))
			}
			_, err := Parse(&b, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), fmt.Sprintf("line %d:", tc.line)) {
				t.Errorf("err %v, want line %d and %q", err, tc.line, tc.want)
			}
		})
	}
}
