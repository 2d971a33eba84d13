package logscan

import (
	"context"
	"fmt"
)

// replayFlagged reads the logs again, keeping only the page's flagged
// accounts, and judges each of them at the end of every bucket of the
// page's grid in which it sent requests: its own verdict then, against
// the final reference (each account's final values left out of it when
// the log is the reference, as in the scan). So "fired when" means when
// the account's evidence, as the final scoring reads it, crossed. The
// records are taken in the order read, as a gateway's log is written;
// records more than a bucket older than the replay's clock are counted
// (pageData.outOfOrder). Clusters are not replayed: they need every
// account. Memory is the flagged accounts' state, CPU one more read of the
// logs and at most maxHistBuckets judgements per flagged account.
func (s *Scanner) replayFlagged(ctx context.Context, paths []string, rep *Report, ref *reference) error {
	p := rep.page
	if p == nil || len(p.flagged) == 0 {
		return nil
	}
	r := newReplay(s, rep, ref)
	if _, err := Read(ctx, paths, s.cfg.Fields, r.add, nil); err != nil {
		return fmt.Errorf("replay of the flagged accounts: %w", err)
	}
	r.checkpoint()
	p.replayed = true
	return nil
}

// replay is replayFlagged's state.
type replay struct {
	s        *Scanner
	ref      *reference
	page     *pageData
	flagged  map[string]*flaggedAccount
	final    map[string]*AccountReport
	accounts map[string]*account
	dirty    map[string]bool
	sc       scratch
	bucket   int   // the bucket being filled
	end      int64 // its end, Unix seconds
}

func newReplay(s *Scanner, rep *Report, ref *reference) *replay {
	p := rep.page
	r := &replay{s: s, ref: ref, page: p, flagged: map[string]*flaggedAccount{}, final: map[string]*AccountReport{},
		accounts: map[string]*account{}, dirty: map[string]bool{}}
	for i := range p.flagged {
		f := &p.flagged[i]
		a := &rep.Accounts[f.index]
		r.flagged[a.Account], r.final[a.Account] = f, a
		f.replay = nil
	}
	r.end = p.bucketEnd(0)
	return r
}

// add takes one record of the log.
func (r *replay) add(rec Record) error {
	if r.flagged[rec.Account] == nil {
		return nil
	}
	t := unixSec(rec.TS)
	for t >= r.end && r.bucket < r.page.buckets-1 {
		r.checkpoint()
		r.bucket++
		r.end += r.page.bucketSec()
	}
	if t < r.end-2*r.page.bucketSec() {
		r.page.outOfOrder++
	}
	addRecord(r.accounts, rec, &r.s.env, &r.sc)
	r.dirty[rec.Account] = true
	return nil
}

// checkpoint judges the accounts that sent requests in the bucket.
func (r *replay) checkpoint() {
	for name := range r.dirty {
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
		f.replay = append(f.replay, replayPoint{bucket: r.bucket, score: v.Score, action: v.Action, fired: firedMask(inds)})
	}
	clear(r.dirty)
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
