package logscan

import (
	"math"
	"sort"
	"time"
)

// DefaultPageAccounts is how many flagged accounts report.html details
// (Options.PageAccounts).
const DefaultPageAccounts = 20

// pageData is what report.html draws beyond the report's exported
// fields: the thresholds, the log's span, and the activity (and, after a
// replay, the firing times) of the top flagged accounts. Report builds it
// from the scanner's state; a Report read back from JSON has none, and
// its page says so.
type pageData struct {
	// scanned is whether a scan made it (with the activity of the flagged
	// accounts), actions its thresholds.
	scanned     bool
	actions     *Actions
	tails       []tailMark
	flagged     []flaggedAccount
	moreFlagged int
	// replayed is whether replayFlagged ran; replaySkipped, when it ran
	// but could not read again what the scan read, says why.
	replayed      bool
	replaySkipped string
}

// tailMark is where the reference's top share begins: the lowest score
// whose reference tail is within an action's tail limit.
type tailMark struct {
	action string
	limit  float64
	score  float64
	// above: no reference score is within the limit (the +1 of an honest
	// tail), so the top share begins just above the largest, score.
	above bool
}

// flaggedAccount is one account the page details.
type flaggedAccount struct {
	index int // in Report.Accounts
	// action and score are the more severe of its own and its cluster's.
	action   string
	score    float64
	activity timeHist
	// grid is the figure's time grid, over the account's own span: one
	// grid per figure, so that no other account's times (an outlier
	// dated year 1 or 9999, an attacker's own lines) can widen its
	// buckets and flatten it; only the account's own times set them.
	grid   timeGrid
	replay []replayPoint
	// outOfOrder counts the account's replayed records that came more
	// than a bucket before its own replay clock (approximate times);
	// replayDropped, when set, says why its replay is not drawn.
	outOfOrder    int
	replayDropped string
}

// timeGrid is a figure's time grid: buckets of a ladder width (ladder.go)
// from the one holding first (Unix seconds), the finest of at most
// maxHistBuckets over [first, last] and no finer than the account's
// histogram. Unix seconds, not durations: a hostile log's times may span
// millennia, beyond a time.Duration.
type timeGrid struct {
	first, last int64
	level       uint8
	buckets     int
}

// newTimeGrid is the grid of the span [first, last] for a histogram of
// the given level.
func newTimeGrid(first, last time.Time, finest uint8) timeGrid {
	g := timeGrid{first: unixSec(first), last: unixSec(last)}
	if g.last < g.first {
		g.last = g.first
	}
	g.level = levelFor(g.first, g.last, maxHistBuckets, finest)
	g.buckets = int(bucketOf(g.last, g.level)-bucketOf(g.first, g.level)) + 1
	return g
}

// start is when the grid's first bucket starts, bucketSec a bucket's width.
func (g timeGrid) start() int64 { return bucketOf(g.first, g.level) * g.bucketSec() }

func (g timeGrid) bucketSec() int64 { return ladderWidth(g.level) }

// bucketStart is when bucket k starts, bucketEnd when it ends.
func (g timeGrid) bucketStart(k int) int64 { return g.start() + int64(k)*g.bucketSec() }

func (g timeGrid) bucketEnd(k int) int64 { return g.bucketStart(k + 1) }

// end is when the grid's last bucket ends.
func (g timeGrid) end() int64 { return g.bucketEnd(g.buckets - 1) }

// bucketAt is the bucket holding sec, times outside the grid in its
// first or last.
func (g timeGrid) bucketAt(sec int64) int {
	k := floorDiv(sec-g.start(), g.bucketSec())
	return int(min(max(k, 0), int64(g.buckets-1)))
}

// replayPoint is an account's own verdict at the end of one bucket of the
// account's grid, against the final reference (replay.go).
type replayPoint struct {
	bucket int
	score  float64
	action string
	fired  uint32 // bit i: indicatorOrder[i] had evidence
}

// pageData gathers the page's data: the top s.pageAccounts accounts whose
// own or cluster's action is not none, by that score.
func (s *Scanner) pageData(rep *Report, ref *reference) *pageData {
	actions := s.cfg.Actions
	p := &pageData{scanned: true, actions: &actions, tails: tailMarks(ref.scores, s.cfg.Actions)}
	all, more := selectFlagged(rep, s.pageAccounts)
	p.moreFlagged = more
	for i := range all {
		if a := s.accounts[rep.Accounts[all[i].index].Account]; a != nil {
			all[i].activity = a.activity.clone()
		}
	}
	p.flagged = all
	p.setGrids(rep.Accounts)
	return p
}

// selectFlagged picks the n accounts whose own or cluster's action is not
// none, by the stronger of their own and their cluster's score (then by
// name), and says how many more there are.
func selectFlagged(rep *Report, n int) ([]flaggedAccount, int) {
	clusters := make(map[int]*ClusterReport, len(rep.Clusters))
	for i := range rep.Clusters {
		clusters[rep.Clusters[i].ID] = &rep.Clusters[i]
	}
	var all []flaggedAccount
	for i, a := range rep.Accounts {
		f := flaggedAccount{index: i, action: a.Action, score: a.Score}
		if c := clusters[a.Cluster]; c != nil {
			f.score = math.Max(f.score, c.Score)
			if severity[c.Action] > severity[f.action] {
				f.action = c.Action
			}
		}
		if severity[f.action] > 0 {
			all = append(all, f)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score > all[j].score
		}
		return rep.Accounts[all[i].index].Account < rep.Accounts[all[j].index].Account
	})
	if len(all) > n {
		return all[:n], len(all) - n
	}
	return all, 0
}

// setGrids sets each flagged account's grid over its own span. The
// figures do not share a grid: a shared one spans every drawn account,
// so one account's outlying times (its own lines are the client's to
// date) would coarsen every other figure to a bar or two; per figure,
// they coarsen its own only. Each figure's axis says its own span and
// width.
func (p *pageData) setGrids(accts []AccountReport) {
	for i := range p.flagged {
		f := &p.flagged[i]
		a := &accts[f.index]
		f.grid = newTimeGrid(a.First, a.Last, f.activity.level)
	}
}

// tailMarks are the scores where the reference's top 1%, 0.2%, 0.1% (the
// actions' tail limits) begin, for the limits the reference resolves.
func tailMarks(scores dist, a Actions) []tailMark {
	var out []tailMark
	for _, m := range []tailMark{{action: "alert", limit: a.AlertTail}, {action: "throttle", limit: a.ThrottleTail}, {action: "suspend", limit: a.SuspendTail}} {
		if len(scores.Sorted) == 0 || m.limit <= 0 || float64(scores.N) < 1/m.limit {
			continue
		}
		i := sort.Search(len(scores.Sorted), func(i int) bool { return scores.tail(scores.Sorted[i], nil) <= m.limit })
		if i == len(scores.Sorted) {
			m.score, m.above = scores.Sorted[i-1], true
		} else {
			m.score = scores.Sorted[i]
		}
		out = append(out, m)
	}
	return out
}
