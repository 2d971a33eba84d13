package logscan

import "context"

// ReplayEnds is, per account the page details, its own score at the last
// judgement of the replay and its final own score (tests only).
func ReplayEnds(rep *Report) map[string][2]float64 {
	out := map[string][2]float64{}
	if rep.page == nil {
		return out
	}
	for _, f := range rep.page.flagged {
		if n := len(f.replay); n > 0 {
			a := rep.Accounts[f.index]
			out[a.Account] = [2]float64{f.replay[n-1].score, a.Score}
		}
	}
	return out
}

// ReplayShape is, per account the page details, its number of replayed
// judgements and its figure's bucket width in seconds (tests only).
func ReplayShape(rep *Report) map[string][2]int64 {
	out := map[string][2]int64{}
	if rep.page == nil {
		return out
	}
	for _, f := range rep.page.flagged {
		out[rep.Accounts[f.index].Account] = [2]int64{int64(len(f.replay)), f.grid.bucketSec()}
	}
	return out
}

// ScanBetween is ScanWith with FiringTimes, calling between after the
// scan's read and before the replay's (tests only).
func ScanBetween(ctx context.Context, cfg Config, opts Options, paths []string, between func()) (*Report, error) {
	s, err := NewScanner(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.SetOptions(opts); err != nil {
		return nil, err
	}
	st, err := s.ReadLogs(ctx, paths, ReadOptions{Workers: opts.Workers})
	if err != nil {
		return nil, err
	}
	rep, ref := s.report()
	rep.Read = st
	between()
	return rep, s.replayFlagged(ctx, rep, ref)
}

// ReplayDropped are the accounts whose replay was dropped for not ending
// at their verdict (tests only).
func ReplayDropped(rep *Report) []string {
	var out []string
	for _, f := range rep.page.flagged {
		if f.replayDropped != "" {
			out = append(out, rep.Accounts[f.index].Account)
		}
	}
	return out
}
