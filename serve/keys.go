package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"forensics/serve/state"
)

// API keys without restarts: keys added and revoked at run time live in
// the state store (Redis: every replica sees a change at its next request;
// memory: state.dir keeps them across restarts). A key of the config that
// is revoked there is refused too.

// keyAccount resolves a key hash against the stored keys: configured is
// the config's account for it (nil: none). A revoked key resolves to nil;
// a key added at run time to its account. A failing store is a 503.
func (s *Server) keyAccount(ctx context.Context, hash string, configured *account) (*account, *httpError) {
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	k, ok, err := s.lim.st.KeyByHash(ctx, hash)
	if err != nil {
		return nil, s.stateFailure(err)
	}
	switch {
	case !ok:
		return configured, nil
	case k.Revoked != nil:
		return nil, nil
	case configured != nil:
		return configured, nil
	}
	return s.current().byName[k.Account], nil
}

func (s *Server) keyRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /admin/keys", s.handleAddKey)
	mux.HandleFunc("POST /admin/keys/revoke", s.handleRevokeKey)
	mux.HandleFunc("GET /admin/keys", s.handleListKeys)
}

// KeyInfo is a key as the admin API lists it: never the key itself.
type KeyInfo struct {
	ID      string     `json:"id"`
	Account string     `json:"account"`
	Source  string     `json:"source"` // config or api
	Created *time.Time `json:"created,omitempty"`
	Revoked *time.Time `json:"revoked,omitempty"`
}

// NewAPIKey is a new random API key.
func NewAPIKey() (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "fk-" + hex.EncodeToString(b[:]), nil
}

func keyID(hash string) string {
	h := strings.TrimPrefix(hash, "sha256:")
	return h[:min(12, len(h))]
}

// handleAddKey makes a key for an account: POST /admin/keys
// {"account": "acme"} answers the key, once; only its hash is stored.
func (s *Server) handleAddKey(w http.ResponseWriter, r *http.Request) {
	rc, gr, fail, ok := s.admin(w, r, "/admin/keys")
	if !ok {
		return
	}
	var req struct {
		Account string `json:"account"`
	}
	if he := s.readJSON(w, r, &req); he != nil {
		fail(he.status, he.msg)
		return
	}
	gr.params["account"] = req.Account
	if s.current().byName[req.Account] == nil {
		fail(http.StatusBadRequest, fmt.Sprintf("no account %q in the config", req.Account))
		return
	}
	if !s.lim.st.KeysDurable() {
		fail(http.StatusConflict, "keys added at run time would be lost at restart: configure state.redis or state.dir")
		return
	}
	key, err := NewAPIKey()
	if err != nil {
		fail(http.StatusInternalServerError, err.Error())
		return
	}
	hash := HashAPIKey(key)
	k := state.Key{ID: keyID(hash), Hash: hash, Account: req.Account, Created: s.now().UTC()}
	gr.params["id"] = k.ID
	if err := s.putKey(r.Context(), k); err != nil {
		fail(http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSONStatus(w, http.StatusOK, map[string]any{"id": k.ID, "account": k.Account, "api_key": key, "hash": hash, "created": k.Created})
	s.logRequest(r, rc, http.StatusOK, "", gr, nil, "")
}

func (s *Server) putKey(ctx context.Context, k state.Key) error {
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	if err := s.lim.st.PutKey(ctx, k); err != nil {
		s.stateFailure(err)
		return fmt.Errorf("storing the key: %w", err)
	}
	return nil
}

// handleRevokeKey revokes a key, stored or of the config: POST
// /admin/keys/revoke {"id": "…"} or {"hash": "sha256:…"}. Every replica
// refuses it from its next request.
func (s *Server) handleRevokeKey(w http.ResponseWriter, r *http.Request) {
	rc, gr, fail, ok := s.admin(w, r, "/admin/keys/revoke")
	if !ok {
		return
	}
	var req struct {
		ID   string `json:"id"`
		Hash string `json:"hash"`
	}
	if he := s.readJSON(w, r, &req); he != nil {
		fail(he.status, he.msg)
		return
	}
	gr.params["id"], gr.params["hash"] = req.ID, req.Hash
	if !s.lim.st.KeysDurable() {
		fail(http.StatusConflict, "a revocation would be lost at restart: configure state.redis or state.dir (or remove the key from the config)")
		return
	}
	k, status, err := s.findKey(r.Context(), req.ID, req.Hash)
	if err != nil {
		fail(status, err.Error())
		return
	}
	if k.Revoked == nil {
		now := s.now().UTC()
		k.Revoked = &now
		if err := s.putKey(r.Context(), k); err != nil {
			fail(http.StatusServiceUnavailable, err.Error())
			return
		}
	}
	gr.params["account"] = k.Account
	writeJSONStatus(w, http.StatusOK, map[string]any{"id": k.ID, "account": k.Account, "revoked": k.Revoked})
	s.logRequest(r, rc, http.StatusOK, "", gr, nil, "")
}

// findKey is the record of a key by id or hash: stored, or made for a key
// of the config.
func (s *Server) findKey(ctx context.Context, id, hash string) (state.Key, int, error) {
	if (id == "") == (hash == "") {
		return state.Key{}, http.StatusBadRequest, fmt.Errorf("give one of id and hash")
	}
	all, err := s.allKeys(ctx)
	if err != nil {
		return state.Key{}, http.StatusServiceUnavailable, err
	}
	var found []state.Key
	for _, k := range all {
		if k.Hash == hash || (id != "" && k.ID == id) {
			found = append(found, k)
		}
	}
	switch len(found) {
	case 0:
		return state.Key{}, http.StatusNotFound, fmt.Errorf("no such key")
	case 1:
		return found[0], 0, nil
	}
	return state.Key{}, http.StatusConflict, fmt.Errorf("%d keys have id %s: give the hash", len(found), id)
}

// allKeys are the stored key records and, for the config's keys without
// one, a record made from the config.
func (s *Server) allKeys(ctx context.Context) ([]state.Key, error) {
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	stored, err := s.lim.st.Keys(ctx)
	if err != nil {
		s.stateFailure(err)
		return nil, fmt.Errorf("listing keys: %w", err)
	}
	seen := map[string]bool{}
	snap := s.current()
	for i, k := range stored {
		seen[k.Hash] = true
		if _, ok := snap.accounts[k.Hash]; ok {
			stored[i].Config = true
		}
	}
	var out []state.Key
	for h, a := range snap.accounts {
		if !seen[h] {
			out = append(out, state.Key{ID: keyID(h), Hash: h, Account: a.name, Config: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account+out[i].ID < out[j].Account+out[j].ID })
	return append(out, stored...), nil
}

// handleListKeys lists the keys (GET /admin/keys): id, account, source,
// created and revoked; never a key.
func (s *Server) handleListKeys(w http.ResponseWriter, r *http.Request) {
	rc, gr, fail, ok := s.admin(w, r, "/admin/keys")
	if !ok {
		return
	}
	all, err := s.allKeys(r.Context())
	if err != nil {
		fail(http.StatusServiceUnavailable, err.Error())
		return
	}
	out := make([]KeyInfo, 0, len(all))
	for _, k := range all {
		ki := KeyInfo{ID: k.ID, Account: k.Account, Source: "api", Revoked: k.Revoked}
		if k.Config {
			ki.Source = "config"
		}
		if !k.Created.IsZero() {
			c := k.Created
			ki.Created = &c
		}
		out = append(out, ki)
	}
	gr.params["keys"] = len(out)
	writeJSONStatus(w, http.StatusOK, map[string]any{"keys": out})
	s.logRequest(r, rc, http.StatusOK, "", gr, nil, "")
}

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
