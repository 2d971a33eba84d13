package serve

import "time"

// An account's case timeline: what it is served under now, and the
// switches decided but not yet in effect (a decision takes effect at a
// repeat-window boundary, caseledger.Event.Effective). It is immutable: a
// decision stores a new one (account.inCase), and a request reads it
// once, then the time, and serves under the state in effect at that time.
// Nothing runs at the boundary: the switch is in the data.

// caseSwitch is a decision for one account: from `from` on, it is served
// under serving (nil: the master key).
type caseSwitch struct {
	from    time.Time
	serving *caseServing
}

// caseTimeline is an account's serving state before its pending switches,
// and those switches in ledger order (so in order of from).
type caseTimeline struct {
	base    *caseServing
	pending []caseSwitch
}

// at is the case an account is served under at t (nil: none).
func (tl *caseTimeline) at(t time.Time) *caseServing {
	if tl == nil {
		return nil
	}
	cs := tl.base
	for _, sw := range tl.pending {
		if t.Before(sw.from) {
			break
		}
		cs = sw.serving
	}
	return cs
}

// then is the timeline with one more switch, the switches in effect at
// now folded into the base. A request reads the timeline before the
// time, so a fold at a decision made before that read never hides a
// switch from a request of an earlier time.
func (tl *caseTimeline) then(now time.Time, sw caseSwitch) *caseTimeline {
	out := &caseTimeline{}
	if tl != nil {
		out.base = tl.base
		out.pending = make([]caseSwitch, 0, len(tl.pending)+1)
		out.pending = append(out.pending, tl.pending...)
	}
	out.pending = append(out.pending, sw)
	for len(out.pending) > 0 && !now.Before(out.pending[0].from) {
		out.base = out.pending[0].serving
		out.pending = out.pending[1:]
	}
	return out
}

// current is the account as a request is served: itself, or, while it is
// in a case, a copy under the case's key and canaries; and the time it is
// served as (its repeat window). The copy shares the account's other
// state (answers served, models).
func (a *account) current(now func() time.Time) (*account, time.Time) {
	if a.inCase == nil {
		return a, now()
	}
	// Every account that can join a case takes the same path, in a case
	// or not: one load, a walk over its pending switches (none, or a
	// few), one copy.
	tl := a.inCase.Load()
	t := now()
	c := *a
	if cs := tl.at(t); cs != nil {
		c.scheme, c.caseID = cs.scheme, cs.id
		// The case's canaries are planted besides the master's, never
		// instead: the master set's triggers are published with every
		// bundle, and one such question would otherwise tell the account
		// it moved.
		c.caseCanaries = cs.canaries
	}
	return &c, t
}
