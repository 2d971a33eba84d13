package logscan

import (
	"context"
	"fmt"
)

// replayFlagged reads the logs again, keeping only the page's flagged
// accounts, and judges each of them at the end of every bucket of its
// grid in which it sent requests: its own verdict then, against the final
// reference (each account's final values left out of it when the log is
// the reference, as in the scan). So "fired when" means when the
// account's evidence, as the final scoring reads it, crossed. The records
// are taken in the order read, as a gateway's log is written, and each
// account has its own clock, moved by its own records only: another
// account's times (one line dated next year) cannot move its judgements.
// Records more than a bucket older than their account's clock are counted
// (flaggedAccount.outOfOrder). It reads only the bytes the scan read of
// the same files (replayread.go); when it cannot, the page says why. An
// account whose last judgement is not its verdict in the report (the log
// changed under the scan all the same) has its judgements dropped, with a
// note. Clusters are not replayed: they need every account. Memory is
// the flagged accounts' state, CPU one more read of the logs and at most
// maxHistBuckets judgements per flagged account.
func (s *Scanner) replayFlagged(ctx context.Context, rep *Report, ref *reference) error {
	p := rep.page
	if p == nil || len(p.flagged) == 0 {
		return nil
	}
	r := newReplay(s, rep, ref)
	p.replayed = true
	skip, err := readAgain(ctx, s.readFiles, s.cfg.Fields, r.add)
	if err != nil {
		return fmt.Errorf("replay of the flagged accounts: %w", err)
	}
	if skip != "" {
		p.replaySkipped = skip
		for _, f := range r.flagged {
			f.replay, f.outOfOrder = nil, 0
		}
		return nil
	}
	for name, c := range r.clocks {
		if c.dirty {
			r.judge(name, c)
		}
	}
	for name, f := range r.flagged {
		f.checkEnd(r.final[name])
	}
	return nil
}

// checkEnd drops the account's judgements when the last is not its
// verdict in the report: the replay then read something else than the
// scan, and its times would contradict the table.
func (f *flaggedAccount) checkEnd(final *AccountReport) {
	if len(f.replay) == 0 {
		return
	}
	last := f.replay[len(f.replay)-1]
	if last.action != final.Action || last.score != final.Score {
		f.replayDropped = fmt.Sprintf("its replay ended at %s (score %.2f), not at its verdict %s (score %.2f): the log changed between the two reads, so its firing times are not drawn",
			last.action, last.score, final.Action, final.Score)
		f.replay = nil
	}
}

// replay is replayFlagged's state.
type replay struct {
	s        *Scanner
	ref      *reference
	flagged  map[string]*flaggedAccount
	final    map[string]*AccountReport
	accounts map[string]*account
	clocks   map[string]*replayClock
	sc       scratch
}

// replayClock is one account's replay clock: the bucket of its grid being
// filled, and whether it has records not yet judged.
type replayClock struct {
	bucket int
	dirty  bool
}

func newReplay(s *Scanner, rep *Report, ref *reference) *replay {
	p := rep.page
	r := &replay{s: s, ref: ref, flagged: map[string]*flaggedAccount{}, final: map[string]*AccountReport{},
		accounts: map[string]*account{}, clocks: map[string]*replayClock{}}
	for i := range p.flagged {
		f := &p.flagged[i]
		a := &rep.Accounts[f.index]
		r.flagged[a.Account], r.final[a.Account] = f, a
		r.clocks[a.Account] = &replayClock{}
		f.replay, f.outOfOrder, f.replayDropped = nil, 0, ""
	}
	return r
}

// add takes one record of the log: a record past its account's bucket
// judges the account at that bucket's end and moves its clock on.
func (r *replay) add(rec Record) error {
	f := r.flagged[rec.Account]
	if f == nil {
		return nil
	}
	c, g := r.clocks[rec.Account], f.grid
	t := unixSec(rec.TS)
	if k := g.bucketAt(t); k > c.bucket {
		if c.dirty {
			r.judge(rec.Account, c)
		}
		c.bucket = k
	}
	if t < g.bucketStart(c.bucket)-g.bucketSec() {
		f.outOfOrder++
	}
	addRecord(r.accounts, rec, &r.s.env, &r.sc)
	c.dirty = true
	return nil
}

// judge records the account's verdict at the end of its clock's bucket.
func (r *replay) judge(name string, c *replayClock) {
	a, final := r.accounts[name], r.final[name]
	inds := r.s.judge(a, true)
	var excl func(string) []float64
	var self []float64
	if r.ref.self {
		excl = finalValues(final.Indicators)
		self = []float64{final.Score}
	}
	v := r.ref.score(inds, r.s.cfg, excl)
	r.ref.act(&v, r.s.cfg.Actions, self, a.value.completionTok)
	capByBusiness(&v, final.Business, a.first)
	f := r.flagged[name]
	f.replay = append(f.replay, replayPoint{bucket: c.bucket, score: v.Score, action: v.Action, fired: firedMask(inds)})
	c.dirty = false
}

// finalValues is, per indicator, the account's final judged value: what
// the log's own reference holds of it.
func finalValues(inds []Indicator) func(string) []float64 {
	return func(name string) []float64 {
		for _, in := range inds {
			if in.Name == name && in.Judged {
				return []float64{in.Value}
			}
		}
		return nil
	}
}

// firedMask has bit i set when indicatorOrder[i] has evidence.
func firedMask(inds []Indicator) uint32 {
	var m uint32
	for _, in := range inds {
		if in.Decades <= 0 {
			continue
		}
		for i, name := range indicatorOrder {
			if name == in.Name {
				m |= 1 << uint(i)
			}
		}
	}
	return m
}
