package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"forensics/canary"
	"forensics/internal/buildinfo"
	"forensics/internal/bundlefile"
	"forensics/probe"
	"forensics/watermark"
)

// Check is one verification step.
type Check struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Warning is what a reader must see even when the check passed:
	// "UNSIGNED", or "signed by an unknown key ed25519:…" when no trusted
	// key was given.
	Warning string `json:"warning,omitempty"`
	Detail  string `json:"detail"`
}

// VerifyOptions are what verification may use besides the bundle.
type VerifyOptions struct {
	// Key re-derives the radioactivity numbers; without it they are taken
	// as recorded (and the report says so).
	Key *watermark.Key
	// PublicKey, if set, is the only signer accepted, and a bundle
	// without a signature fails. Without it a signature is checked but
	// its key is unknown, and the signature check says so (Warning), as
	// it says UNSIGNED of a bundle without one.
	PublicKey ed25519.PublicKey
	// Build is the verifying build (buildinfo.Current()); compared with
	// the bundle's by the last check, "build" (BuildCheck). Nil: not
	// compared.
	Build *buildinfo.Info
	// Rederive, if set, is one more re-derivation, run after the
	// bundle's own and before the build comparison, which counts it: the
	// report check, whose package imports this one.
	Rederive func(dir string) Check
	// RequestLogs re-run the relay check by request log
	// (probe.CheckRelayLog); without them its outcome is taken as
	// recorded, and verify says so.
	RequestLogs []string
	// LedgerPub, if set, is the only key the case ledger's signatures may
	// be checked with (the gateway's log signing key): a bundle whose
	// manifest names another, or none, fails. Without it the ledger key
	// the manifest names is reported as not pinned.
	LedgerPub ed25519.PublicKey
}

// Verify re-checks a bundle from its files alone: the statement (every
// file SHA256SUMS lists matches its hash, the folder holds nothing it does
// not list, and its signature), transcript integrity, the Merkle root, and
// every number in results.json. Listed report files (ReportPrefix) are
// left to the report package's check. It returns the checks made; err is
// non-nil only when the bundle cannot be read at all.
//
// The bundle may come from an adversary: every file is read with
// ReadBundleFile's checks (regular files only, a size limit per kind),
// the manifest's numbers are bounded by Manifest.Validate, and the
// checks stop when ctx is done: Verify then returns ctx's error, since
// an interrupted verification is no verdict on the bundle.
func Verify(ctx context.Context, dir string, o VerifyOptions) ([]Check, error) {
	v := &verifier{dir: dir, o: o}
	v.checks = append(v.checks, verifyStatement(ctx, dir, o.PublicKey)...)
	if err := ctx.Err(); err != nil {
		return v.checks, fmt.Errorf("verify stopped: %w", err)
	}
	in, err := loadInputs(dir, nil)
	if err != nil {
		v.add("inputs", err, "")
		if o.Rederive != nil {
			v.checks = append(v.checks, o.Rederive(dir))
		}
		// A bundle a newer build made may not parse here at all: say
		// which build made it, if its manifest says so, before anyone
		// reads the failure as tampering.
		if m := claimedBuild(dir); m != nil && o.Build != nil {
			v.checks = append(v.checks, BuildCheck(m, nil, o.Build, v.checks))
		}
		return v.checks, nil
	}
	v.inputs(in)
	v.canaries(in)
	v.caseLedger(in)
	v.add("transcripts", verifyRecords(in.Records), "every answer text re-extracted from its raw response")
	v.relayLog(ctx, in)
	v.merkleRoot(in)
	if err := v.results(ctx, in); err != nil {
		return v.checks, err
	}
	if o.Rederive != nil {
		v.checks = append(v.checks, o.Rederive(dir))
	}
	if o.Build != nil {
		v.checks = append(v.checks, BuildCheck(in.Manifest, v.computedBy, o.Build, v.checks))
	}
	return v.checks, nil
}

// verifier collects the checks of one Verify.
type verifier struct {
	dir    string
	o      VerifyOptions
	checks []Check
	// computedBy is the build results.json says computed it.
	computedBy *buildinfo.Info
}

// add records a check: failed with err's text, or passed with detail ok.
func (v *verifier) add(name string, err error, ok string) {
	c := Check{Name: name, OK: err == nil, Detail: ok}
	if err != nil {
		c.Detail = err.Error()
	}
	v.checks = append(v.checks, c)
}

// inputs says what was read.
func (v *verifier) inputs(in probe.Inputs) {
	v.add("inputs", nil, fmt.Sprintf("manifest %.16s…, %d transcript records, canary set %s v%d, tokenizer %s", in.Manifest.SHA256(), len(in.Records), in.Canaries.Name, in.Canaries.Version, in.Tokenizer.ID()))
}

// canaries checks the canary set against the manifest and, with the key,
// that a set the manifest calls secret is the key's.
func (v *verifier) canaries(in probe.Inputs) {
	switch mc := in.Manifest.Canaries; {
	case in.Canaries.SHA256 != mc.SHA256:
		v.add("canaries", fmt.Errorf("%s has sha256 %s, the manifest says %s", probe.FileCanaries, in.Canaries.SHA256, mc.SHA256), "")
	case !mc.Secret:
		v.add("canaries", nil, "not the key's secret set: no canary test was planned")
	case v.o.Key == nil:
		// Without the key nobody can tell a secret set from a public one
		// relabelled: say what rests on trust.
		v.add("canaries", nil, "the manifest says this is the key's secret set; NOT re-derived (give the key to check it)")
	default:
		want, err := probe.LoadCanaries(canary.Secret, v.o.Key)
		if err == nil && want.SHA256 != in.Canaries.SHA256 {
			err = fmt.Errorf("%s is not the secret set of key %s (sha256 %.16s…, the key's %.16s…)", probe.FileCanaries, v.o.Key.ID, in.Canaries.SHA256, want.SHA256)
		}
		v.add("canaries", err, "re-derived from the key: the key's secret set")
	}
}

// caseLedger states what was checked of the ledger copy (loadInputs has
// checked its hash and head against the manifest, its chain, and its
// signatures when the manifest names the key).
func (v *verifier) caseLedger(in probe.Inputs) {
	c := in.Manifest.Cases
	if c == nil {
		return
	}
	signed := "hash chain checked; signatures NOT checked (the probe had no ledger key)"
	var err error
	if c.PublicKey != "" {
		signed = "hash chain and every signature checked with ledger key " + KeyFingerprint(mustHex(c.PublicKey))
	}
	switch {
	case v.o.LedgerPub != nil && c.PublicKey != hex.EncodeToString(v.o.LedgerPub):
		err = fmt.Errorf("the ledger's signatures were checked with key %q, not the ledger key given (%s)", c.PublicKey, KeyFingerprint(v.o.LedgerPub))
	case v.o.LedgerPub != nil:
		signed += ", the key given"
	case c.PublicKey != "":
		signed += " (NOT pinned: give --ledger-pub to check it is your gateway's key)"
	}
	v.add("case ledger", err, fmt.Sprintf("%s: %d cases tested, ends at event %.16s…; %s", c.File, len(in.Cases), c.Head, signed))
}

// relayLog re-runs the relay check by request log on the logs given, or
// says that its outcome is taken as recorded.
func (v *verifier) relayLog(ctx context.Context, in probe.Inputs) {
	switch {
	case in.Manifest.RelayLog == nil:
	case in.RelayLog == nil:
		v.add("relay log", nil, "planned but not run: \"trained on our outputs\" is withheld")
	case len(v.o.RequestLogs) == 0:
		v.checks = append(v.checks, Check{Name: "relay log", OK: true, Warning: "relay check by request log TAKEN AS RECORDED (give --request-log to re-check it)",
			Detail: "the search of our request logs is taken as recorded, NOT re-checked (it needs the logs): " + in.RelayLog.Summary()})
	default:
		// A live log grows after the probe, so files and counts may
		// differ; what must not is the outcome the verdict rests on.
		again, err := probe.CheckRelayLog(ctx, v.o.RequestLogs, in.Manifest, in.Canaries, in.Records)
		if err == nil && (again.Excludes() != in.RelayLog.Excludes() || again.Covers() != in.RelayLog.Covers()) {
			err = fmt.Errorf("%s does not agree with the check re-run on the given request logs (recorded: %s; now: %s)", probe.FileRelayLog, in.RelayLog.Summary(), again.Summary())
		}
		if err == nil {
			err = sameArchives(in.RelayLog, again, v.o.RequestLogs)
		}
		v.add("relay log", err, "re-run on the given request logs, the same outcome: "+again.Summary())
	}
}

// merkleRoot checks MERKLE_ROOT against the transcripts.
func (v *verifier) merkleRoot(in probe.Inputs) {
	rootFile, err := ReadBundleFile(v.dir, FileRoot)
	if err == nil && strings.TrimSpace(string(rootFile)) != in.MerkleRoot {
		err = fmt.Errorf("%s says %s, the transcripts give %s", FileRoot, strings.TrimSpace(string(rootFile)), in.MerkleRoot)
	}
	v.add("merkle root", err, in.MerkleRoot)
}

// results recomputes results.json from the inputs and compares. Its error
// is ctx's when the recomputation was interrupted.
func (v *verifier) results(ctx context.Context, in probe.Inputs) error {
	stored, err := ReadBundleFile(v.dir, FileResults)
	if err != nil {
		v.add("results", err, "")
		return nil
	}
	in.Key = v.o.Key
	if v.o.Key == nil {
		var rec probe.Results
		if err := json.Unmarshal(stored, &rec); err != nil {
			v.add("results", fmt.Errorf("%s: %w", FileResults, err), "")
			return nil
		}
		in.Recorded = &rec
	}
	res, err := probe.Analyze(ctx, in)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("verify stopped: %w", err)
		}
		v.add("results", err, "")
		return nil
	}
	// Which build computed the results is recorded, not re-derived: it
	// is taken from the file and compared in the build check.
	if res.Build, err = recordedBuild(stored); err != nil {
		v.add("results", err, "")
		return nil
	}
	v.computedBy = res.Build
	again, err := MarshalResults(res)
	detail := "every number recomputed from the transcripts, byte for byte"
	if err == nil && !bytes.Equal(again, stored) {
		if where := firstDifference(stored, again); where != "" {
			err = fmt.Errorf("%s differs from the recomputed results at %s", FileResults, where)
		} else {
			detail = fmt.Sprintf("every number recomputed from the transcripts, equal to within %g relative (floating-point rounding differs between machines)", numTolerance)
		}
	}
	if v.o.Key == nil {
		detail += " (radioactivity taken as recorded: give the key to re-derive it)"
		if in.Manifest.Cases != nil {
			detail += "; the case keys' scores TAKEN AS RECORDED too (the master key re-derives every case key)"
		}
	}
	v.add("results", err, detail)
	return nil
}

// verifyRecords re-extracts each answer from its raw response.
func verifyRecords(recs []probe.Record) error {
	for i, r := range recs {
		if !r.OK() {
			continue
		}
		_, resp, err := r.Bodies()
		if err != nil {
			return bundlefile.ErrLine(probe.FileTranscripts, i+1, "%v", err)
		}
		text, n, err := probe.ExtractText(r.Extract, resp)
		if err != nil {
			return bundlefile.ErrLine(probe.FileTranscripts, i+1, "response: %v", err)
		}
		if text != r.Text || n != r.CompletionTokens {
			return bundlefile.ErrLine(probe.FileTranscripts, i+1, "the text or token count differs from what the recorded response gives")
		}
	}
	return nil
}

// numTolerance is how far a recomputed number may be from the recorded
// one: the same code on another CPU may fuse a multiply and an add, which
// changes the last bits of a float and nothing a reader sees.
const numTolerance = 1e-9

// firstDifference names the first JSON path where two documents differ
// beyond numTolerance; "" when they agree.
func firstDifference(a, b []byte) string {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return "(not JSON)"
	}
	return diffPath("", x, y)
}

func diffPath(path string, x, y any) string {
	switch xv := x.(type) {
	case map[string]any:
		yv, ok := y.(map[string]any)
		if !ok {
			return path
		}
		keys := make([]string, 0, len(xv)+len(yv))
		for k := range xv {
			keys = append(keys, k)
		}
		for k := range yv {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range slices.Compact(keys) {
			if p := diffPath(path+"."+k, xv[k], yv[k]); p != "" {
				return p
			}
		}
		return ""
	case []any:
		yv, ok := y.([]any)
		if !ok || len(xv) != len(yv) {
			return path
		}
		for i := range xv {
			if p := diffPath(fmt.Sprintf("%s[%d]", path, i), xv[i], yv[i]); p != "" {
				return p
			}
		}
		return ""
	case float64:
		yv, ok := y.(float64)
		if ok && math.Abs(xv-yv) <= numTolerance*math.Max(math.Abs(xv), math.Abs(yv)) {
			return ""
		}
		return fmt.Sprintf("%s (recorded %v, recomputed %v)", path, x, y)
	}
	if fmt.Sprint(x) != fmt.Sprint(y) {
		return fmt.Sprintf("%s (recorded %v, recomputed %v)", path, x, y)
	}
	return ""
}

// sameArchives checks that the logs given to verify are the ones the probe
// searched: every file it read is there again, and every archive (a file
// other than a live log, which grows) has the same SHA-256.
func sameArchives(recorded, again *probe.RelayLogCheck, live []string) error {
	now := map[string]probe.LogFileRef{}
	for _, f := range again.Files {
		now[f.Name] = f
	}
	growing := map[string]bool{}
	for _, p := range live {
		growing[filepath.Base(p)] = true
	}
	for _, f := range recorded.Files {
		g, ok := now[f.Name]
		switch {
		case !ok:
			return fmt.Errorf("%s names log file %s, which the given request logs do not have", probe.FileRelayLog, f.Name)
		case !growing[f.Name] && g.SHA256 != f.SHA256:
			return fmt.Errorf("log archive %s is not the one the probe searched (sha256 %.16s…, recorded %.16s…)", f.Name, g.SHA256, f.SHA256)
		case growing[f.Name] && g.Bytes < f.Bytes:
			return fmt.Errorf("live log %s is shorter (%d bytes) than when the probe searched it (%d)", f.Name, g.Bytes, f.Bytes)
		}
	}
	return nil
}
