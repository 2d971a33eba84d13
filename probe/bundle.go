package probe

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"forensics/llm/tokenizer"
	"forensics/watermark"
)

// Files of an evidence bundle.
const (
	FileManifest    = "manifest.json"
	FileCanaries    = "canaries.yaml"
	FileTokenizer   = "tokenizer.json"
	FileTranscripts = "transcripts.jsonl"
	FileResults     = "results.json"
	FileRoot        = "MERKLE_ROOT"
	// FileSums is the bundle's statement: every other file with its
	// SHA-256 (see Seal).
	FileSums = "SHA256SUMS"
	// FileSignature signs the exact bytes of SHA256SUMS.
	FileSignature = "SHA256SUMS.sig"
)

// Signature is SHA256SUMS.sig: an ed25519 signature over the exact bytes
// of the file Signed names (always SHA256SUMS).
type Signature struct {
	Algorithm string `json:"algorithm"`
	Signed    string `json:"signed"`
	PublicKey string `json:"public_key"` // base64, 32 bytes
	Signature string `json:"signature"`  // base64
}

// writeFileSync writes a file and syncs it, so a bundle on disk is whole.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// MarshalResults is results.json's canonical bytes.
func MarshalResults(r *Results) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Finish computes the battery over a probe directory and seals it: it
// writes results.json and MERKLE_ROOT, then the statement over every file
// in the directory, signed when sign is set (see Seal).
func Finish(ctx context.Context, dir string, key *watermark.Key, tk tokenizer.Tokenizer, sign ed25519.PrivateKey) (*Results, error) {
	in, err := loadInputs(dir, tk)
	if err != nil {
		return nil, err
	}
	in.Key = key
	res, err := Analyze(ctx, in)
	if err != nil {
		return nil, err
	}
	rb, err := MarshalResults(res)
	if err != nil {
		return nil, err
	}
	if err := writeFileSync(filepath.Join(dir, FileResults), rb); err != nil {
		return nil, err
	}
	if err := writeFileSync(filepath.Join(dir, FileRoot), []byte(in.MerkleRoot+"\n")); err != nil {
		return nil, err
	}
	return res, Seal(dir, sign)
}

// loadInputs reads manifest, canaries, tokenizer and transcripts of a
// bundle, each with ReadBundleFile's checks. tk, if set, must be the
// manifest's tokenizer; otherwise the bundle's tokenizer.json (or the
// built-in word splitter) is used.
func loadInputs(dir string, tk tokenizer.Tokenizer) (Inputs, error) {
	var in Inputs
	mb, err := ReadBundleFile(dir, FileManifest)
	if err != nil {
		return in, err
	}
	m, err := ParseManifest(mb)
	if err != nil {
		return in, err
	}
	if sha := sha256.Sum256(mb); hex.EncodeToString(sha[:]) != m.SHA256() {
		return in, fmt.Errorf("%s is not in canonical form (edited by hand?)", FileManifest)
	}
	in.Manifest = m
	cb, err := ReadBundleFile(dir, FileCanaries)
	if err != nil {
		return in, err
	}
	if in.Canaries, err = ParseCanaries(cb); err != nil {
		return in, fmt.Errorf("%s: %w", FileCanaries, err)
	}
	if tk == nil {
		if tk, err = BundleTokenizer(dir, m); err != nil {
			return in, err
		}
	}
	in.Tokenizer = tk
	tb, err := ReadBundleFile(dir, FileTranscripts)
	if err != nil {
		return in, err
	}
	if in.Records, err = ParseTranscripts(tb, m.SHA256()); err != nil {
		return in, err
	}
	in.MerkleRoot = MerkleRoot(tb)
	for _, ref := range m.Sources {
		data, err := ReadBundleFile(dir, ref.File)
		if err != nil {
			return in, err
		}
		if got := newSourceRef(ref.Role, data); got.SHA256 != ref.SHA256 {
			return in, fmt.Errorf("%s has sha256 %s, the manifest committed to %s", ref.File, got.SHA256, ref.SHA256)
		}
		if in.Sources == nil {
			in.Sources = map[string][]byte{}
		}
		in.Sources[ref.Role] = data
	}
	if in.RelayLog, err = readRelayLog(dir, m); err != nil {
		return in, err
	}
	return in, nil
}

// BundleTokenizer opens the tokenizer a manifest names from the bundle,
// with ReadBundleFile's checks and MaxTokenizerSize as its limit.
func BundleTokenizer(dir string, m *Manifest) (tokenizer.Tokenizer, error) {
	if m.Tokenizer.File == "" {
		if w := (tokenizer.Words{}); w.ID() == m.Tokenizer.ID {
			return w, nil
		}
		return nil, fmt.Errorf("manifest names tokenizer %s but the bundle has no tokenizer file", m.Tokenizer.ID)
	}
	fh, _, err := openBundleFile(dir, m.Tokenizer.File, bundleFileKinds[FileTokenizer])
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	f, err := tokenizer.ReadFile(io.LimitReader(fh, MaxTokenizerSize))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.Tokenizer.File, err)
	}
	v, err := tokenizer.New(f)
	if err != nil {
		return nil, err
	}
	if v.ID() != m.Tokenizer.ID {
		return nil, fmt.Errorf("%s has id %s, the manifest says %s", m.Tokenizer.File, v.ID(), m.Tokenizer.ID)
	}
	return v, nil
}

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
	// Tool is the verifying program and version (as in a manifest's tool
	// field); a different one is pointed out, since result wording and
	// methods are versioned with the tool.
	Tool string
	// RequestLogs re-run the relay check by request log (relaylog.go);
	// without them its outcome is taken as recorded, and verify says so.
	RequestLogs []string
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
	var checks []Check
	add := func(name string, err error, ok string) {
		c := Check{Name: name, OK: err == nil, Detail: ok}
		if err != nil {
			c.Detail = err.Error()
		}
		checks = append(checks, c)
	}
	checks = append(checks, verifyStatement(ctx, dir, o.PublicKey)...)
	if err := ctx.Err(); err != nil {
		return checks, fmt.Errorf("verify stopped: %w", err)
	}

	in, err := loadInputs(dir, nil)
	if err != nil {
		add("inputs", err, "")
		return checks, nil
	}
	if o.Tool != "" && o.Tool != in.Manifest.Tool {
		add("tool", nil, fmt.Sprintf("the bundle was made by %q, this is %q: if results differ, verify with the version that made it", in.Manifest.Tool, o.Tool))
	}
	add("inputs", nil, fmt.Sprintf("manifest %.16s…, %d transcript records, canary set %s v%d, tokenizer %s", in.Manifest.SHA256(), len(in.Records), in.Canaries.Name, in.Canaries.Version, in.Tokenizer.ID()))
	switch mc := in.Manifest.Canaries; {
	case in.Canaries.SHA256 != mc.SHA256:
		add("canaries", fmt.Errorf("%s has sha256 %s, the manifest says %s", FileCanaries, in.Canaries.SHA256, mc.SHA256), "")
	case !mc.Secret:
		add("canaries", nil, "not the key's secret set: no canary test was planned")
	case o.Key == nil:
		// Without the key nobody can tell a secret set from a public one
		// relabelled: say what rests on trust.
		add("canaries", nil, "the manifest says this is the key's secret set; NOT re-derived (give the key to check it)")
	default:
		want, err := LoadCanaries(SecretCanaries, o.Key)
		if err == nil && want.SHA256 != in.Canaries.SHA256 {
			err = fmt.Errorf("%s is not the secret set of key %s (sha256 %.16s…, the key's %.16s…)", FileCanaries, o.Key.ID, in.Canaries.SHA256, want.SHA256)
		}
		add("canaries", err, "re-derived from the key: the key's secret set")
	}
	add("transcripts", verifyRecords(in.Records), "every answer text re-extracted from its raw response")
	switch {
	case in.Manifest.RelayLog == nil:
	case in.RelayLog == nil:
		add("relay log", nil, "planned but not run: \"trained on our outputs\" is withheld")
	case len(o.RequestLogs) == 0:
		checks = append(checks, Check{Name: "relay log", OK: true, Warning: "relay check by request log TAKEN AS RECORDED (give --request-log to re-check it)",
			Detail: "the search of our request logs is taken as recorded, NOT re-checked (it needs the logs): " + in.RelayLog.Summary()})
	default:
		// A live log grows after the probe, so files and counts may
		// differ; what must not is the outcome the verdict rests on.
		again, err := CheckRelayLog(ctx, o.RequestLogs, in.Manifest, in.Canaries, in.Records)
		if err == nil && (again.Excludes() != in.RelayLog.Excludes() || again.Covers() != in.RelayLog.Covers()) {
			err = fmt.Errorf("%s does not agree with the check re-run on the given request logs (recorded: %s; now: %s)", FileRelayLog, in.RelayLog.Summary(), again.Summary())
		}
		if err == nil {
			err = sameArchives(in.RelayLog, again, o.RequestLogs)
		}
		add("relay log", err, "re-run on the given request logs, the same outcome: "+again.Summary())
	}

	rootFile, err := ReadBundleFile(dir, FileRoot)
	if err == nil && strings.TrimSpace(string(rootFile)) != in.MerkleRoot {
		err = fmt.Errorf("%s says %s, the transcripts give %s", FileRoot, strings.TrimSpace(string(rootFile)), in.MerkleRoot)
	}
	add("merkle root", err, in.MerkleRoot)
	stored, err := ReadBundleFile(dir, FileResults)
	if err != nil {
		add("results", err, "")
		return checks, nil
	}
	in.Key = o.Key
	if o.Key == nil {
		var rec Results
		if err := json.Unmarshal(stored, &rec); err != nil {
			add("results", fmt.Errorf("%s: %w", FileResults, err), "")
			return checks, nil
		}
		in.Recorded = &rec
	}
	res, err := Analyze(ctx, in)
	if err != nil {
		if ctx.Err() != nil {
			return checks, fmt.Errorf("verify stopped: %w", err)
		}
		add("results", err, "")
		return checks, nil
	}
	again, err := MarshalResults(res)
	detail := "every number recomputed from the transcripts, byte for byte"
	if err == nil && !bytes.Equal(again, stored) {
		if where := firstDifference(stored, again); where != "" {
			err = fmt.Errorf("%s differs from the recomputed results at %s", FileResults, where)
		} else {
			detail = fmt.Sprintf("every number recomputed from the transcripts, equal to within %g relative (floating-point rounding differs between machines)", numTolerance)
		}
	}
	if o.Key == nil {
		detail += " (radioactivity taken as recorded: give the key to re-derive it)"
	}
	add("results", err, detail)
	return checks, nil
}

// verifyRecords re-extracts each answer from its raw response.
func verifyRecords(recs []Record) error {
	for i, r := range recs {
		if !r.OK() {
			continue
		}
		_, resp, err := r.Bodies()
		if err != nil {
			return errLine(FileTranscripts, i+1, "%v", err)
		}
		text, n, err := ExtractText(r.Extract, resp)
		if err != nil {
			return errLine(FileTranscripts, i+1, "response: %v", err)
		}
		if text != r.Text || n != r.CompletionTokens {
			return errLine(FileTranscripts, i+1, "the text or token count differs from what the recorded response gives")
		}
	}
	return nil
}

// KeyFingerprint names a public key: sha256 of it, first 16 hex digits.
func KeyFingerprint(pub []byte) string {
	d := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(d[:8])
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
func sameArchives(recorded, again *RelayLogCheck, live []string) error {
	now := map[string]LogFileRef{}
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
			return fmt.Errorf("%s names log file %s, which the given request logs do not have", FileRelayLog, f.Name)
		case !growing[f.Name] && g.SHA256 != f.SHA256:
			return fmt.Errorf("log archive %s is not the one the probe searched (sha256 %.16s…, recorded %.16s…)", f.Name, g.SHA256, f.SHA256)
		case growing[f.Name] && g.Bytes < f.Bytes:
			return fmt.Errorf("live log %s is shorter (%d bytes) than when the probe searched it (%d)", f.Name, g.Bytes, f.Bytes)
		}
	}
	return nil
}
