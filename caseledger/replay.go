package caseledger

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"forensics/watermark"
)

// Member is an account of a case and when it joined.
type Member struct {
	Account string `json:"account"`
	// Added is the effective time of the event that added it: from then
	// on its answers were served under the case key.
	Added time.Time `json:"added"`
	Seq   int       `json:"seq"` // that event's sequence number
}

// Case is a case's state after the ledger's events.
type Case struct {
	ID string `json:"id"`
	// Ledger is the id of the ledger the case is in (its key derives
	// from it: watermark.Key.DeriveCase).
	Ledger string `json:"ledger"`
	// Nonce is the case's nonce (Event.Nonce), part of its key.
	Nonce            string `json:"nonce"`
	MasterKey        string `json:"master_key"`
	MasterCommitment string `json:"master_commitment"`
	KeyID            string `json:"key_id"`
	KeyCommitment    string `json:"key_commitment"`
	CanaryCommitment string `json:"canary_commitment,omitempty"`
	// Opened and Closed are effective times (Event.Effective): the case
	// key was served from Opened (to each member from its Added) until
	// Closed. Decided is when the opening was decided (its Event.Time).
	Opened  time.Time `json:"opened"`
	Decided time.Time `json:"decided"`
	Closed  time.Time `json:"closed,omitzero"` // zero while open; a closing may be decided before Closed comes
	Members []Member  `json:"members"`
	Trigger Trigger   `json:"trigger"` // of the opening
}

// Open reports whether the case is still open: no closing was decided
// (its accounts keep the case key until Closed even when it is not).
func (c Case) Open() bool { return c.Closed.IsZero() }

// Accounts lists the case's accounts in the order they joined.
func (c Case) Accounts() []string {
	out := make([]string, len(c.Members))
	for i, m := range c.Members {
		out[i] = m.Account
	}
	return out
}

// state is the cases after some events; apply checks and applies one more.
type state struct {
	cases  []Case
	byID   map[string]int    // index in cases
	inOpen map[string]string // account → its open case
}

func newState() *state {
	return &state{byID: map[string]int{}, inOpen: map[string]string{}}
}

// Replay is the cases after the events, in the order they were opened. It
// refuses an extension or closing of an unknown or closed case, an
// opening of an existing id (closed cases are not reopened: a new case
// gets a new key), and an account in two open cases (a response is served
// under one key).
func Replay(events []Event) ([]Case, error) {
	st := newState()
	for _, e := range events {
		if err := st.apply(e); err != nil {
			return nil, fmt.Errorf("event %d: %w", e.Seq, err)
		}
	}
	return st.snapshot(), nil
}

// snapshot copies the cases out.
func (st *state) snapshot() []Case {
	out := make([]Case, len(st.cases))
	for i, c := range st.cases {
		c.Members = slices.Clone(c.Members)
		out[i] = c
	}
	return out
}

// check reports why e cannot follow the state (nil: it can).
func (st *state) check(e Event) error {
	if err := watermark.CheckCaseID(e.Case); err != nil {
		return err
	}
	if err := checkAccounts(e); err != nil {
		return err
	}
	i, exists := st.byID[e.Case]
	switch e.Kind {
	case KindOpened:
		if exists {
			return fmt.Errorf("case %s is opened again (a closed case is not reopened: open a new one)", e.Case)
		}
		return st.checkOpening(e)
	case KindExtended, KindClosed:
		if !exists {
			return fmt.Errorf("%s: no case %s", e.Kind, e.Case)
		}
		c := st.cases[i]
		if !c.Open() {
			return fmt.Errorf("%s: case %s was closed at %s", e.Kind, e.Case, c.Closed.Format(time.RFC3339))
		}
		if e.MasterKey != c.MasterKey || e.MasterCommitment != c.MasterCommitment || e.KeyID != c.KeyID ||
			e.KeyCommitment != c.KeyCommitment || e.CanaryCommitment != c.CanaryCommitment || e.Nonce != c.Nonce {
			return fmt.Errorf("%s: the keys or commitments differ from case %s's opening", e.Kind, e.Case)
		}
		if e.Kind == KindClosed && len(e.Accounts) > 0 {
			return errors.New("closed: a closing lists no accounts")
		}
	default:
		return fmt.Errorf("unknown event %q (want opened, extended or closed)", e.Kind)
	}
	return st.checkMembers(e)
}

// checkOpening checks an opening's keys and trigger.
func (st *state) checkOpening(e Event) error {
	if e.MasterKey == "" || e.MasterCommitment == "" || e.KeyCommitment == "" {
		return errors.New("opened: master_key, master_commitment and key_commitment are required")
	}
	if !nonceOK(e.Nonce) {
		return fmt.Errorf("opened: nonce %q is not 16 to 32 hex digits (NewNonce)", e.Nonce)
	}
	if e.KeyID != e.MasterKey+"."+e.Case {
		return fmt.Errorf("opened: key_id %q is not the master key's id, '.', and the case id", e.KeyID)
	}
	switch e.Trigger.Source {
	case SourceAdminRisk, SourceScan, SourceOperator:
	default:
		return fmt.Errorf("opened: trigger source %q (want admin-risk, scan or operator)", e.Trigger.Source)
	}
	if len(e.Accounts) == 0 {
		return errors.New("opened: a case opens with at least one account")
	}
	return st.checkMembers(e)
}

// checkMembers refuses accounts that are already in an open case.
func (st *state) checkMembers(e Event) error {
	if e.Kind == KindExtended && len(e.Accounts) == 0 {
		return errors.New("extended: no accounts added")
	}
	for _, a := range e.Accounts {
		if c, ok := st.inOpen[a]; ok {
			return fmt.Errorf("account %s is already in open case %s", a, c)
		}
	}
	return nil
}

// checkAccounts refuses empty and repeated account names.
func checkAccounts(e Event) error {
	seen := map[string]bool{}
	for _, a := range e.Accounts {
		if a == "" {
			return errors.New("an empty account name")
		}
		if seen[a] {
			return fmt.Errorf("account %s is listed twice", a)
		}
		seen[a] = true
	}
	return nil
}

// apply checks e and applies it.
func (st *state) apply(e Event) error {
	if err := st.check(e); err != nil {
		return err
	}
	if e.Kind == KindOpened {
		st.byID[e.Case] = len(st.cases)
		st.cases = append(st.cases, Case{ID: e.Case, Ledger: e.Ledger, Nonce: e.Nonce, MasterKey: e.MasterKey, MasterCommitment: e.MasterCommitment,
			KeyID: e.KeyID, KeyCommitment: e.KeyCommitment, CanaryCommitment: e.CanaryCommitment, Opened: e.Effective, Decided: e.Time, Trigger: e.Trigger})
	}
	c := &st.cases[st.byID[e.Case]]
	for _, a := range e.Accounts {
		c.Members = append(c.Members, Member{Account: a, Added: e.Effective, Seq: e.Seq})
		st.inOpen[a] = e.Case
	}
	if e.Kind == KindClosed {
		c.Closed = e.Effective
		for _, m := range c.Members {
			delete(st.inOpen, m.Account)
		}
	}
	return nil
}

// NextCaseID is the first id "case-NNNN" (from case-0001) that no case
// has.
func NextCaseID(cases []Case) string {
	used := map[string]bool{}
	for _, c := range cases {
		used[c.ID] = true
	}
	for n := len(cases) + 1; ; n++ {
		id := "case-" + fmt.Sprintf("%04d", n)
		if !used[id] {
			return id
		}
	}
}

func nonceOK(n string) bool { return ledgerIDPattern.MatchString(n) }
