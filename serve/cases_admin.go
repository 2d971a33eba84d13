package serve

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"forensics/caseledger"
	"forensics/watermark"
)

// The operator's side of cases: GET /admin/cases lists them, POST
// /admin/cases opens or extends one, POST /admin/cases/close closes one.
// Admin key required; every call is logged like other admin calls.

// CaseRequest is the body of POST /admin/cases and /admin/cases/close.
type CaseRequest struct {
	// Accounts to put in the case (open, extend).
	Accounts []string `json:"accounts,omitempty"`
	// Case is the case to extend or close; to open, a new id (empty: the
	// next case-NNNN).
	Case string `json:"case,omitempty"`
	Note string `json:"note,omitempty"`
}

// CasesResponse is the answer of the case endpoints: the cases (one for a
// change, all for a list) and the ledger's head hash after it.
type CasesResponse struct {
	Cases []caseledger.Case `json:"cases"`
	Head  string            `json:"head"`
}

// caseHandlers are the admin case endpoints, on the public and admin
// listeners alike.
func (s *Server) caseRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/cases", s.handleListCases)
	mux.HandleFunc("POST /admin/cases", s.handleCaseChange("/admin/cases", s.openOrExtend))
	mux.HandleFunc("POST /admin/cases/close", s.handleCaseChange("/admin/cases/close", s.closeCase))
}

func (s *Server) handleListCases(w http.ResponseWriter, r *http.Request) {
	rc, gr, fail, ok := s.admin(w, r, "/admin/cases")
	if !ok {
		return
	}
	if s.cases == nil {
		fail(http.StatusNotFound, "cases are not configured (cases.ledger)")
		return
	}
	cases := s.cases.list()
	gr.params["cases"] = len(cases)
	writeCases(w, cases, caseledger.Head(s.cases.events()))
	s.logRequest(r, rc, http.StatusOK, "", gr, nil, "")
}

// handleCaseChange reads a CaseRequest, records the decision (trigger:
// operator, with the body's SHA-256 and the note) and answers the case.
func (s *Server) handleCaseChange(endpoint string, change func(CaseRequest, caseledger.Trigger) (caseledger.Case, *httpError)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rc, gr, fail, ok := s.admin(w, r, endpoint)
		if !ok {
			return
		}
		if s.cases == nil {
			fail(http.StatusNotFound, "cases are not configured (cases.ledger)")
			return
		}
		if s.cases.ledger == nil {
			fail(http.StatusConflict, "this replica follows the case ledger another replica holds (cases.follow): decide cases there")
			return
		}
		body, he := s.readBody(w, r)
		var req CaseRequest
		if he == nil {
			he = decodeStrict(body, &req)
		}
		if he != nil {
			fail(he.status, he.msg)
			return
		}
		gr.params["case"], gr.params["accounts"], gr.params["note"] = req.Case, req.Accounts, req.Note
		sum := sha256.Sum256(body)
		trig := caseledger.Trigger{Source: caseledger.SourceOperator, SHA256: hex.EncodeToString(sum[:]), Note: req.Note}
		c, he := change(req, trig)
		if he != nil {
			fail(he.status, he.msg)
			return
		}
		gr.params["case"] = c.ID
		writeCases(w, []caseledger.Case{c}, caseledger.Head(s.cases.events()))
		s.logRequest(r, rc, http.StatusOK, "", gr, nil, "")
	}
}

// openOrExtend extends req.Case if it is an open case, or else opens it
// (a new id, or the next case-NNNN).
func (s *Server) openOrExtend(req CaseRequest, trig caseledger.Trigger) (caseledger.Case, *httpError) {
	cm := s.cases
	cm.mu.Lock()
	defer cm.mu.Unlock()
	if len(req.Accounts) == 0 {
		return caseledger.Case{}, &httpError{status: http.StatusBadRequest, msg: "no accounts"}
	}
	cases := cm.list()
	in := openCaseOf(cases)
	for i, a := range req.Accounts {
		if err := s.caseEligible(a); err != nil {
			return caseledger.Case{}, &httpError{status: http.StatusBadRequest, msg: err.Error()}
		}
		if id, ok := in[a]; ok {
			return caseledger.Case{}, &httpError{status: http.StatusConflict, msg: fmt.Sprintf("account %s is already in open case %s", a, id)}
		}
		if slices.Contains(req.Accounts[:i], a) {
			return caseledger.Case{}, &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf("account %s is listed twice", a)}
		}
	}
	cr := caseRequest{kind: caseledger.KindOpened, id: req.Case, accounts: req.Accounts, trigger: trig}
	if i := caseIndex(cases, req.Case); i >= 0 {
		if !cases[i].Open() {
			return caseledger.Case{}, &httpError{status: http.StatusConflict, msg: fmt.Sprintf("case %s is closed; a closed case is not reopened (open a new one)", req.Case)}
		}
		cr.kind = caseledger.KindExtended
	} else if req.Case == "" {
		cr.id = caseledger.NextCaseID(cases)
	} else if err := watermark.CheckCaseID(req.Case); err != nil {
		return caseledger.Case{}, &httpError{status: http.StatusBadRequest, msg: err.Error()}
	}
	return s.decided(cr)
}

// closeCase closes an open case: its accounts return to the master key.
func (s *Server) closeCase(req CaseRequest, trig caseledger.Trigger) (caseledger.Case, *httpError) {
	cm := s.cases
	cm.mu.Lock()
	defer cm.mu.Unlock()
	if len(req.Accounts) > 0 {
		return caseledger.Case{}, &httpError{status: http.StatusBadRequest, msg: "a case is closed whole: give only its id"}
	}
	cases := cm.list()
	i := caseIndex(cases, req.Case)
	switch {
	case i < 0:
		return caseledger.Case{}, &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("no case %q", req.Case)}
	case !cases[i].Open():
		return caseledger.Case{}, &httpError{status: http.StatusConflict, msg: fmt.Sprintf("case %s is already closed", req.Case)}
	}
	return s.decided(caseRequest{kind: caseledger.KindClosed, id: req.Case, trigger: trig})
}

// decided is decide with its error as a 500 (the ledger could not be
// written: nothing changed).
func (s *Server) decided(cr caseRequest) (caseledger.Case, *httpError) {
	c, err := s.decide(cr)
	if err != nil {
		logCaseError(s.slog, cr.kind, err)
		return caseledger.Case{}, &httpError{status: http.StatusInternalServerError, msg: "case ledger: " + err.Error()}
	}
	return c, nil
}

func writeCases(w http.ResponseWriter, cases []caseledger.Case, head string) {
	if cases == nil {
		cases = []caseledger.Case{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(CasesResponse{Cases: cases, Head: head})
}

// decodeStrict decodes an admin body, refusing unknown fields (a typo in
// "accounts" must not open an empty case).
func decodeStrict(body []byte, v any) *httpError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &httpError{status: http.StatusBadRequest, msg: "malformed JSON body: " + err.Error()}
	}
	if dec.More() {
		return &httpError{status: http.StatusBadRequest, msg: "malformed JSON body: more than one value"}
	}
	return nil
}
