package serve

import (
	"slices"

	"forensics/caseledger"
)

// actionSeverity orders the scan actions.
var actionSeverity = map[string]int{"none": 0, "": 0, "alert": 1, "throttle": 2, "suspend": 3}

// scanVerdict is what a scan said of one account: its action, its
// cluster's id (0: none) and that cluster's action.
type scanVerdict struct {
	account       string
	action        string
	cluster       int
	clusterAction string
}

// flaggedGroups are the accounts a scan flagged at or above open_at (by
// their own action or their cluster's), one group per cluster and one per
// flagged account in no cluster, in the order the scan listed them.
func flaggedGroups(vs []scanVerdict, openAt int) [][]string {
	var groups [][]string
	byCluster := map[int]int{} // cluster → index in groups
	for _, v := range vs {
		if max(actionSeverity[v.action], actionSeverity[v.clusterAction]) < openAt || v.account == "" {
			continue
		}
		if v.cluster == 0 {
			groups = append(groups, []string{v.account})
			continue
		}
		i, ok := byCluster[v.cluster]
		if !ok {
			i = len(groups)
			byCluster[v.cluster] = i
			groups = append(groups, nil)
		}
		if !slices.Contains(groups[i], v.account) {
			groups[i] = append(groups[i], v.account)
		}
	}
	return groups
}

// casesFromScan opens or extends cases for a scan's flagged accounts: a
// group none of whose accounts is in an open case opens a new case; a
// group some of whose accounts are in one extends that case (the first
// opened, if several) with its other accounts; accounts already in an open
// case stay where they are. Accounts that cannot be served under a case
// key (unknown, unwatermarked, on another key) are left out. It returns
// the ids of the cases opened or extended.
func (s *Server) casesFromScan(vs []scanVerdict, trig caseledger.Trigger) ([]string, error) {
	cm := s.cases
	if cm == nil || cm.ledger == nil {
		return nil, nil // no cases, or a follower: the replica with the ledger decides
	}
	cm.mu.Lock()
	defer cm.mu.Unlock()
	var touched []string
	for _, g := range flaggedGroups(vs, cm.openAt) {
		cases := cm.list()
		in := openCaseOf(cases)
		target := ""
		var add []string
		for _, a := range g {
			if id, ok := in[a]; ok {
				if target == "" || caseIndex(cases, id) < caseIndex(cases, target) {
					target = id
				}
			} else if s.caseEligible(a) == nil {
				add = append(add, a)
			}
		}
		if len(add) == 0 {
			continue
		}
		req := caseRequest{kind: caseledger.KindExtended, id: target, accounts: add, trigger: trig}
		if target == "" {
			req.kind, req.id = caseledger.KindOpened, caseledger.NextCaseID(cases)
		}
		if _, err := s.decide(req); err != nil {
			return touched, err
		}
		touched = append(touched, req.id)
	}
	return touched, nil
}

// caseIndex is the position of a case in opening order.
func caseIndex(cases []caseledger.Case, id string) int {
	return slices.IndexFunc(cases, func(c caseledger.Case) bool { return c.ID == id })
}
