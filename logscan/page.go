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
	scanned bool
	actions *Actions
	tails   []tailMark
	// The page's time grid: buckets of a ladder width (ladder.go) from
	// the one holding first, the finest of at most maxHistBuckets over
	// the log's span and no finer than a detailed account's histogram.
	first, last time.Time
	level       uint8
	buckets     int
	flagged     []flaggedAccount
	moreFlagged int
	// replayed is whether replayFlagged ran; outOfOrder counts the
	// replayed records that came a bucket or more before the replay's
	// clock (their firing times are approximate).
	replayed   bool
	outOfOrder int
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
	replay   []replayPoint
}

// replayPoint is an account's own verdict at the end of one bucket of the
// page's grid, against the final reference (replay.go).
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
	p.setGrid(rep.Accounts)
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

// setGrid sets the page's time grid over the accounts' span: the finest
// ladder width that holds it in at most maxHistBuckets buckets and is no
// finer than any detailed account's histogram (which, its requests being
// within the span, is never coarser than that).
func (p *pageData) setGrid(accts []AccountReport) {
	for i, a := range accts {
		if i == 0 || a.First.Before(p.first) {
			p.first = a.First
		}
		if i == 0 || a.Last.After(p.last) {
			p.last = a.Last
		}
	}
	var finest uint8
	for _, f := range p.flagged {
		finest = max(finest, f.activity.level)
	}
	lo, hi := unixSec(p.first), unixSec(p.last)
	p.level = levelFor(lo, hi, maxHistBuckets, finest)
	p.buckets = int(bucketOf(hi, p.level)-bucketOf(lo, p.level)) + 1
}

// gridStart is when the grid's first bucket starts and bucketSec a
// bucket's width (Unix seconds, not durations: a hostile log's times may
// span millennia, beyond a time.Duration).
func (p *pageData) gridStart() int64 { return bucketOf(unixSec(p.first), p.level) * p.bucketSec() }

func (p *pageData) bucketSec() int64 { return ladderWidth(p.level) }

// bucketEnd is when bucket k of the grid ends (Unix seconds).
func (p *pageData) bucketEnd(k int) int64 { return p.gridStart() + int64(k+1)*p.bucketSec() }

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
