package logscan

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
