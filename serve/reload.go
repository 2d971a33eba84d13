package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"forensics/logline"
	"forensics/watermark"
)

// Reloading the configuration without a restart (SIGHUP, POST
// /admin/reload). What a reload changes, it changes at once (snapshot.go):
// accounts, their API keys, limits and models, the admin keys, new
// watermark key names, and the allowed origins. Everything else needs a
// restart: a reload that changes it keeps the running value and says so,
// field by field. Used quota survives; a removed account's keys are
// refused from the moment the new snapshot is in. Every reload, refused
// or not, is a line in the request log: the audit trail shows when
// accounts and limits changed.

// reloadable are the config fields (by YAML path) a reload applies;
// "http.allowed_origins" is applied when the config has it.
var reloadable = []string{"accounts", "admin_api_keys", "models", "defaults", "http.allowed_origins"}

// reloader serialises reloads and remembers where the config came from.
type reloader struct {
	mu     sync.Mutex
	path   string                    // "": no reloads from a file
	adjust func(*Config)             // Options.Adjust
	loaded map[string]*watermark.Key // Options.Keys
}

// ReloadReport is what a reload changed, without secrets: account names
// and counts, never keys or their hashes.
type ReloadReport struct {
	Source   string   `json:"source"`
	Accounts int      `json:"accounts"`
	Added    []string `json:"added,omitempty"`
	Removed  []string `json:"removed,omitempty"`
	// Changed are accounts whose API keys, limits, models, watermark or
	// key changed (an account added or removed is not listed again).
	Changed   []string `json:"changed,omitempty"`
	AdminKeys int      `json:"admin_keys"`
	Models    int      `json:"models"`
	KeysAdded []string `json:"keys_added,omitempty"`
	// Kept are the fields that changed in the file but need a restart:
	// the running values stay.
	Kept []string `json:"kept,omitempty"`
	// KeyIDs are the configured API keys (their ids, as api_key_id in
	// the log) of every account added or changed (at start: of every
	// account), so that the log says who could use which key when.
	KeyIDs map[string][]string `json:"key_ids,omitempty"`
	// KeysRevoked are the keys added at run time that the removal of
	// their account revoked (added back, the account must not find them
	// working again).
	KeysRevoked []string `json:"keys_revoked,omitempty"`
}

// ErrNoConfigFile is returned by ReloadFile for a gateway built without
// Options.ConfigPath.
var ErrNoConfigFile = errors.New("the gateway was not started from a config file: nothing to reload")

// ReloadFile reads the config file again and applies it (Reload).
func (s *Server) ReloadFile(source string) (ReloadReport, error) {
	if s.reload.path == "" {
		return ReloadReport{Source: source}, ErrNoConfigFile
	}
	cfg, err := LoadConfig(s.reload.path)
	if err != nil {
		s.logReload(ReloadReport{Source: source}, err)
		return ReloadReport{Source: source}, err
	}
	if s.reload.adjust != nil {
		s.reload.adjust(cfg)
	}
	return s.Reload(cfg, source)
}

// Reload applies a new config: the reloadable fields at once, the others
// kept (listed in the report's Kept). A config that is not valid, or
// names no account, is refused and the running one stays. source says
// what asked ("sighup", "admin") in the log.
func (s *Server) Reload(cfg *Config, source string) (ReloadReport, error) {
	s.reload.mu.Lock()
	defer s.reload.mu.Unlock()
	rep, err := s.reloadLocked(cfg, source)
	s.logReload(rep, err)
	return rep, err
}

func (s *Server) reloadLocked(cfg *Config, source string) (ReloadReport, error) {
	rep := ReloadReport{Source: source}
	if len(cfg.Accounts) == 0 {
		// A truncated file must not revoke everyone.
		return rep, errors.New("the new config has no accounts: refused (to stop serving, stop the gateway)")
	}
	old := s.current()
	merged, kept := mergeReloadable(old.cfg, cfg)
	if err := merged.validate(); err != nil {
		return rep, fmt.Errorf("the new config with the running values of %s: %w", strings.Join(kept, ", "), err)
	}
	if s.cases != nil {
		// No case decision between the check of the accounts' cases
		// (buildSnapshot) and the new accounts' install: one landing in
		// between would be stored on an account the reload drops. Lock
		// order: reload.mu, then cases.mu.
		s.cases.mu.Lock()
		defer s.cases.mu.Unlock()
	}
	sn, err := s.buildSnapshot(merged, old, s.reload.loaded)
	if err != nil {
		return rep, err
	}
	s.installSnapshot(sn)
	rep = reportOf(old, sn, source)
	rep.Kept = kept
	rep.KeysRevoked = s.revokeKeysOf(rep.Removed)
	return rep, nil
}

// revokeKeysOf revokes the keys added at run time of removed accounts,
// and returns their ids. A failure is logged: meanwhile such a key finds
// no account and is refused anyway.
func (s *Server) revokeKeysOf(removed []string) []string {
	if len(removed) == 0 || !s.lim.st.KeysDurable() {
		return nil
	}
	ctx, cancel := context.WithTimeout(s.bgCtx, stateTimeout)
	defer cancel()
	keys, err := s.lim.st.Keys(ctx)
	if err != nil {
		s.slog.Error("reload: the run-time keys of removed accounts could not be revoked", "accounts", removed, "err", err)
		return nil
	}
	var ids []string
	now := s.now().UTC()
	for _, k := range keys {
		if k.Config || k.Revoked != nil || !slices.Contains(removed, k.Account) {
			continue
		}
		k.Revoked = &now
		if err := s.lim.st.PutKey(ctx, k); err != nil {
			s.slog.Error("reload: revoking a removed account's key", "account", k.Account, "id", k.ID, "err", err)
			continue
		}
		ids = append(ids, k.ID)
	}
	return ids
}

// keyIDsOf is the configured key ids of the named accounts.
func keyIDsOf(cfg *Config, names []string) map[string][]string {
	out := map[string][]string{}
	for _, a := range cfg.Accounts {
		if slices.Contains(names, a.Name) {
			ids := make([]string, 0, len(a.APIKeys))
			for _, h := range a.APIKeys {
				ids = append(ids, keyID(h))
			}
			out[a.Name] = ids
		}
	}
	return out
}

// logStartConfig records, at start, which keys every account has (a
// "config" event): the first entry of the trail that
// reloads continue.
func (s *Server) logStartConfig() {
	sn := s.current()
	names := make([]string, 0, len(sn.byName))
	for n := range sn.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	params := map[string]any{"accounts": len(names), "admin_keys": len(sn.admins), "models": len(sn.models),
		"key_ids": keyIDsOf(sn.cfg, names)}
	s.writeLog(&logline.Entry{TS: s.now().UTC().Format(time.RFC3339Nano), Event: "config", Params: params})
}

// mergeReloadable is the running config with the reloadable fields of
// next, and the fields next changes that need a restart (kept at their
// running values). Key names next adds are added; a key name whose file
// changed keeps its running key.
func mergeReloadable(running, next *Config) (*Config, []string) {
	var changed []string
	diffFields(reflect.ValueOf(*running), reflect.ValueOf(*next), "", &changed)
	merged := *running
	for _, p := range reloadable {
		copyPath(reflect.ValueOf(&merged).Elem(), reflect.ValueOf(next).Elem(), strings.Split(p, "."))
	}
	merged.Keys = maps.Clone(running.Keys)
	var kept []string
	for name, path := range next.Keys {
		if old, ok := running.Keys[name]; !ok {
			if merged.Keys == nil {
				merged.Keys = map[string]string{}
			}
			merged.Keys[name] = path
		} else if old != path {
			kept = append(kept, "keys."+name)
		}
	}
	for _, f := range changed {
		if f != "keys" && !isReloadable(f) {
			kept = append(kept, f)
		}
	}
	sort.Strings(kept)
	return &merged, kept
}

func isReloadable(field string) bool {
	for _, p := range reloadable {
		if field == p || strings.HasPrefix(field, p+".") {
			return true
		}
	}
	return false
}

// diffFields lists the YAML paths of the leaves where a and b differ
// (structs are walked; anything else is compared whole).
func diffFields(a, b reflect.Value, prefix string, out *[]string) {
	if a.Kind() == reflect.Pointer && !a.IsNil() && !b.IsNil() && a.Elem().Kind() == reflect.Struct {
		a, b = a.Elem(), b.Elem()
	}
	if a.Kind() != reflect.Struct || a.Type() == reflect.TypeFor[Duration]() {
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			*out = append(*out, prefix)
		}
		return
	}
	t := a.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if !f.IsExported() || name == "" {
			continue
		}
		if prefix != "" {
			name = prefix + "." + name
		}
		diffFields(a.Field(i), b.Field(i), name, out)
	}
}

// copyPath sets the field at a YAML path of dst to src's (nothing if the
// path does not exist).
func copyPath(dst, src reflect.Value, path []string) {
	for _, seg := range path {
		i := fieldIndex(dst.Type(), seg)
		if i < 0 {
			return
		}
		dst, src = dst.Field(i), src.Field(i)
	}
	dst.Set(src)
}

func fieldIndex(t reflect.Type, yamlField string) int {
	if t.Kind() != reflect.Struct {
		return -1
	}
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && yamlName(f) == yamlField {
			return i
		}
	}
	return -1
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// reportOf compares two snapshots' accounts.
func reportOf(old, sn *snapshot, source string) ReloadReport {
	rep := ReloadReport{Source: source, Accounts: len(sn.byName), AdminKeys: len(sn.admins), Models: len(sn.models)}
	oldAccts := map[string]AccountConfig{}
	for _, a := range old.cfg.Accounts {
		oldAccts[a.Name] = a
	}
	for _, a := range sn.cfg.Accounts {
		o, ok := oldAccts[a.Name]
		switch {
		case !ok:
			rep.Added = append(rep.Added, a.Name)
		case !reflect.DeepEqual(o, a) || old.cfg.accountKeyName(o) != sn.cfg.accountKeyName(a) ||
			(a.Limits == nil && old.cfg.Defaults.Limits != sn.cfg.Defaults.Limits):
			rep.Changed = append(rep.Changed, a.Name)
		}
		delete(oldAccts, a.Name)
	}
	rep.Removed = slices.Sorted(maps.Keys(oldAccts))
	rep.KeyIDs = keyIDsOf(sn.cfg, append(slices.Clone(rep.Added), rep.Changed...))
	for name := range sn.keys {
		if old.keys[name] == nil {
			rep.KeysAdded = append(rep.KeysAdded, name)
		}
	}
	sort.Strings(rep.KeysAdded)
	return rep
}

// logReload records a reload in the request log (an "reload" event line)
// and in the gateway's own log.
func (s *Server) logReload(rep ReloadReport, err error) {
	params := map[string]any{"source": rep.Source}
	e := logline.Entry{TS: s.now().UTC().Format(time.RFC3339Nano), Event: "reload", Params: params}
	if err != nil {
		e.Error = err.Error()
		s.writeLog(&e)
		s.slog.Error("reload refused: the running config stays", "source", rep.Source, "err", err)
		return
	}
	params["accounts"], params["admin_keys"], params["models"] = rep.Accounts, rep.AdminKeys, rep.Models
	for k, v := range map[string][]string{"added": rep.Added, "removed": rep.Removed, "changed": rep.Changed, "keys_added": rep.KeysAdded, "kept": rep.Kept,
		"keys_revoked": rep.KeysRevoked} {
		if len(v) > 0 {
			params[k] = v
		}
	}
	if len(rep.KeyIDs) > 0 {
		params["key_ids"] = rep.KeyIDs
	}
	s.writeLog(&e)
	s.slog.Info("reloaded", "source", rep.Source, "accounts", rep.Accounts, "added", len(rep.Added), "removed", len(rep.Removed),
		"changed", len(rep.Changed), "admin_keys", rep.AdminKeys, "models", rep.Models, "keys_added", len(rep.KeysAdded))
	for _, f := range rep.Kept {
		s.slog.Warn("reload: this field needs a restart; the running value stays", "field", f)
	}
}

// handleAdminReload reloads the config file: POST /admin/reload. The
// answer is the ReloadReport; the call is logged like every admin call,
// besides the reload's own event line.
func (s *Server) handleAdminReload(w http.ResponseWriter, r *http.Request) {
	rc, gr, fail, ok := s.admin(w, r, "/admin/reload")
	if !ok {
		return
	}
	rep, err := s.ReloadFile("admin")
	if err != nil {
		status := http.StatusUnprocessableEntity
		if errors.Is(err, ErrNoConfigFile) {
			status = http.StatusConflict
		}
		fail(status, err.Error())
		return
	}
	gr.params["accounts"], gr.params["kept"] = rep.Accounts, rep.Kept
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(rep)
	s.logRequest(r, rc, http.StatusOK, "", gr, nil, "")
}
