package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"forensics/caseledger"
	"forensics/internal/jsonl"
	"forensics/logline"
	"forensics/reqlog"
)

// ledgerLogProblems checks a case ledger against the request logs of the
// gateway that wrote it: the gateway writes every ledger event's sequence
// number and hash into its hash-chained, signed log ("case" lines), so a
// ledger cut after its last line (a dropped closing, say) or replaced by
// another no longer matches. It returns the problems and how many of the
// ledger's events the logs vouch for.
func ledgerLogProblems(events []caseledger.Event, logs []string) ([]string, int, error) {
	if len(events) == 0 {
		return nil, 0, nil
	}
	id := events[0].Ledger
	var problems []string
	seen := map[int]bool{}
	others := map[string]bool{}
	for _, lp := range logs {
		files, err := reqlog.Files(lp)
		if err != nil {
			return nil, 0, fmt.Errorf("request log %s: %w", lp, err)
		}
		for _, f := range files {
			err := eachCaseLine(f, func(e logline.Entry) {
				ledger, _ := e.Params["ledger"].(string)
				seqF, _ := e.Params["seq"].(float64)
				hash, _ := e.Params["hash"].(string)
				seq := int(seqF)
				switch {
				case ledger != id:
					others[ledger] = true // another ledger's (another gateway's, or this one's predecessor)
				case seq < 1 || seq > len(events):
					problems = append(problems, fmt.Sprintf("%s records ledger event %d (hash %.16s…), but the ledger ends at event %d: it was cut or replaced", f, seq, hash, len(events)))
				case events[seq-1].Hash != hash:
					problems = append(problems, fmt.Sprintf("%s records ledger event %d with hash %.16s…, the ledger's is %.16s…", f, seq, hash, events[seq-1].Hash))
				default:
					seen[seq] = true
				}
			})
			if err != nil {
				return nil, 0, fmt.Errorf("request log %s: %w", f, err)
			}
		}
	}
	if len(seen) == 0 {
		what := "no ledger event"
		if len(others) > 0 {
			what = fmt.Sprintf("events of other ledgers (%s)", strings.Join(slices.Sorted(maps.Keys(others)), ", "))
		}
		problems = append(problems, fmt.Sprintf("the request logs record %s and none of this ledger's (%s, %d events): it was replaced, or the logs are not its gateway's", what, id, len(events)))
	}
	return problems, len(seen), nil
}

// eachCaseLine calls f with every "case" event line of a log file.
func eachCaseLine(path string, f func(logline.Entry)) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	in, closer, err := jsonl.Uncompressed(fh)
	if err != nil {
		return err
	}
	defer closer.Close()
	r := jsonl.NewReader(in, 64<<20)
	for {
		line, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var le *jsonl.LineError
		if errors.As(err, &le) {
			continue // an over-long line is no case line
		}
		if err != nil {
			return err
		}
		if !bytes.Contains(line, []byte(`"event":"case"`)) {
			continue
		}
		var e logline.Entry
		if json.Unmarshal(line, &e) == nil && e.Event == "case" {
			f(e)
		}
	}
}
