package probe

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"
)

// Collect opens and checks the targets, prepares (or resumes) the folder,
// asks every query and runs the relay check by request log: everything a
// bundle holds before evidence.Finish analyses and seals it
// (evidence.Probe does both). On cancellation it returns the context's
// error with everything received so far saved; the same setup resumes.
func Collect(ctx context.Context, s Setup) (RunStats, error) {
	notice := s.Notice
	if notice == nil {
		notice = func(string) {}
	}
	if err := s.Key.CheckTokenizer(s.Tokenizer.ID()); err != nil {
		return RunStats{}, err
	}
	m, tokFile, err := s.Manifest()
	if err != nil {
		return RunStats{}, err
	}
	noteFewRounds(m, notice)
	tgs, err := s.openTargets(ctx, m.Targets)
	if err != nil {
		return RunStats{}, err
	}
	m, st, err := s.prepareFolder(m, tokFile, notice)
	if err != nil {
		return RunStats{}, err
	}
	defer st.Close()
	run := s.Run
	if run.CountTokens == nil {
		run.CountTokens = pieceCounter(s.Tokenizer)
	}
	stats, err := Run(ctx, m, s.Canaries, tgs, st, run)
	if err != nil {
		return stats, err
	}
	if err := st.Close(); err != nil {
		return stats, err
	}
	return stats, s.afterQueries(ctx, m, st.Records(), notice)
}

// noteFewRounds tells the operator, before any query, of randomization
// tests whose rounds are too few to reach their level.
func noteFewRounds(m *Manifest, notice func(string)) {
	if m.Targets.Reference != "" && 1/float64(m.Rounds+1) > m.Null.RelayAlpha {
		notice(fmt.Sprintf("note: with %d rounds the relay check's smallest p-value is %.2g, above its level %g: it cannot tell a model trained on our outputs from a relay of our service; raise --rounds to at least %.0f",
			m.Rounds, 1/float64(m.Rounds+1), m.Null.RelayAlpha, math.Ceil(1/m.Null.RelayAlpha)-1))
	}
	for _, t := range m.Tests {
		if t.Name == TestEquality && 1/float64(m.Rounds+1) > t.Weight*m.Alpha {
			notice(fmt.Sprintf("note: with %d rounds the %s test's smallest p-value is %.2g, above its share of α (%.2g): it cannot reject; raise --rounds to at least %.0f",
				m.Rounds, t.Name, 1/float64(m.Rounds+1), t.Weight*m.Alpha, math.Ceil(1/(t.Weight*m.Alpha))))
		}
	}
}

// openTargets opens the target of every role (Setup.Open first, then a
// file target's copy read once, then OpenTarget) and checks it answers. A
// file target is named by its public name (names), which its records'
// endpoints quote.
func (s *Setup) openTargets(ctx context.Context, names Targets) (map[string]Target, error) {
	tgs := map[string]Target{}
	to := s.TargetOptions
	to.Canaries = s.Canaries
	for role, spec := range s.roleSpecs() {
		var t Target
		var err error
		if s.Open != nil {
			t, err = s.Open(role, spec)
		}
		switch data, ok := s.sources[role]; {
		case err != nil || t != nil:
		case ok:
			t, err = newFileTarget(names.Of(role), data)
		default:
			t, err = OpenTarget(spec, to)
		}
		if err != nil {
			return nil, err
		}
		if err := t.Check(ctx); err != nil {
			return nil, err
		}
		tgs[role] = t
	}
	return tgs, nil
}

// prepareFolder prepares (or resumes) the probe's folder with the copies
// of file targets and opens its transcripts. It returns the manifest in
// force (a resumed probe keeps its seeds) and the open store.
func (s *Setup) prepareFolder(m *Manifest, tokFile []byte, notice func(string)) (*Manifest, *Store, error) {
	files := map[string][]byte{}
	for _, ref := range m.Sources {
		files[ref.File] = s.sources[ref.Role]
	}
	if s.Cases != nil {
		files[FileLedger] = s.Cases.Ledger
	}
	m, resumed, err := prepare(s.Dir, m, s.Canaries, tokFile, files, &s.Targets)
	if err != nil {
		return nil, nil, err
	}
	st, rep, err := OpenStore(filepath.Join(s.Dir, FileTranscripts), m.SHA256())
	if err != nil {
		return nil, nil, err
	}
	if rep.DroppedLine > 0 {
		notice(fmt.Sprintf("transcripts.jsonl: dropped a cut-off last line (line %d, %d bytes) left by an interrupted run; that query is asked again", rep.DroppedLine, rep.DroppedBytes))
	}
	if resumed {
		notice(fmt.Sprintf("resuming the probe in %s (%d records so far)", s.Dir, len(st.Records())))
	} else {
		notice(fmt.Sprintf("manifest %s written to %s", m.SHA256()[:16], filepath.Join(s.Dir, FileManifest)))
	}
	return m, st, nil
}

// afterQueries runs Setup.AfterQueries, then the relay check by request
// log when the manifest plans one, and stores its outcome.
func (s *Setup) afterQueries(ctx context.Context, m *Manifest, recs []Record, notice func(string)) error {
	if s.AfterQueries != nil {
		if err := s.AfterQueries(); err != nil {
			return err
		}
	}
	if m.RelayLog == nil {
		return nil
	}
	c, err := s.relayCheck(ctx, m, recs, notice)
	if err != nil {
		return err
	}
	return WriteRelayLog(s.Dir, c)
}

// relayCheck runs CheckRelayLog after the queries (a relay's forwarded
// requests are logged when they end, before it can answer the probe). If
// only the logs' end is short of the probe's last answer, it waits up to
// RelayLogWait for every live log file to be written after it (the
// gateway's next checkpoint), watching the files' times rather than
// reading them again, and then searches once more.
func (s *Setup) relayCheck(ctx context.Context, m *Manifest, recs []Record, notice func(string)) (*RelayLogCheck, error) {
	c, err := CheckRelayLog(ctx, s.RequestLogs, m, s.Canaries, recs)
	if err != nil || c.Covers() || !c.Chains || c.Records == 0 || c.First.After(c.ProbeStart) {
		return c, err
	}
	wait := s.RelayLogWait
	if wait == 0 {
		wait = 2 * time.Minute
	}
	notice(fmt.Sprintf("waiting up to %s for the request log to pass the probe's end (the gateway's next checkpoint)", wait))
	deadline := time.Now().Add(wait)
	for !writtenAfter(s.RequestLogs, c.ProbeEnd.Add(ClockSkew)) && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return CheckRelayLog(ctx, s.RequestLogs, m, s.Canaries, recs)
}

// writtenAfter reports whether every file was modified after t.
func writtenAfter(paths []string, t time.Time) bool {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || !st.ModTime().After(t) {
			return false
		}
	}
	return true
}
