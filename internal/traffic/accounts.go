package traffic

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"io"
	"time"

	"forensics/internal/jsonl"
	"forensics/logscan"
)

// writeAccounts writes the accounts file: one AccountInfo a line, in the
// order the simulation signed the accounts up.
func (s *simulator) writeAccounts(out io.Writer) error {
	bw := bufio.NewWriter(out)
	for _, a := range s.accounts {
		b, err := jsonl.MarshalLine(a)
		if err != nil {
			return err
		}
		bw.Write(append(b, '\n'))
	}
	return bw.Flush()
}

// id is an opaque identifier of the business's (an organisation, a
// payment method), the same for the same label within one simulation.
func id(prefix, label string) string {
	h := fnv.New64a()
	h.Write([]byte(prefix + "/" + label))
	return fmt.Sprintf("%s_%012x", prefix, h.Sum64()&(1<<48-1))
}

// since is a moment between lo and hi days before the log starts.
func (s *simulator) since(lo, hi int) time.Time {
	return s.start.Add(-time.Duration(lo*24*3600+s.rng.IntN(max(1, (hi-lo)*24*3600))) * time.Second)
}

// personAccount is an individual's account: free, or a paid plan with a
// card of their own; signed up weeks to years ago.
func (s *simulator) personAccount(name string, paid bool) logscan.AccountInfo {
	a := logscan.AccountInfo{Tier: "free", Created: s.since(14, 900)}
	if paid {
		a.Tier, a.PaymentID = "pro", id("pm", name)
	}
	return a
}

// orgAccount is one of an organisation's accounts: the organisation's
// plan and its one payment method; contract and KYC as the business
// recorded them.
func (s *simulator) orgAccount(org, tier string, contract, kyc bool, lo, hi int) logscan.AccountInfo {
	a := logscan.AccountInfo{Tier: tier, Contract: contract, KYC: kyc, Created: s.since(lo, hi), OrgID: id("org", org)}
	if tier != "free" {
		a.PaymentID = id("pm", org)
	}
	return a
}
