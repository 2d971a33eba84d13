package probe

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	FileSignature   = "MERKLE_ROOT.sig"
	FileSums        = "SHA256SUMS"
)

// Signature is MERKLE_ROOT.sig: an ed25519 signature over the root line.
type Signature struct {
	Algorithm string `json:"algorithm"`
	PublicKey string `json:"public_key"` // base64, 32 bytes
	Signature string `json:"signature"`  // base64, over the bytes of MERKLE_ROOT
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
// writes results.json, MERKLE_ROOT (signed when sign is set) and
// SHA256SUMS over every other file in the directory.
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
	root := []byte(in.MerkleRoot + "\n")
	if err := writeFileSync(filepath.Join(dir, FileRoot), root); err != nil {
		return nil, err
	}
	os.Remove(filepath.Join(dir, FileSignature))
	if sign != nil {
		sig := Signature{Algorithm: "ed25519",
			PublicKey: base64.StdEncoding.EncodeToString(sign.Public().(ed25519.PublicKey)),
			Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(sign, root))}
		b, _ := json.MarshalIndent(sig, "", "  ")
		if err := writeFileSync(filepath.Join(dir, FileSignature), append(b, '\n')); err != nil {
			return nil, err
		}
	}
	return res, WriteSums(dir)
}

// WriteSums writes SHA256SUMS over every regular file in dir but itself,
// in the format sha256sum -c reads.
func WriteSums(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, e := range ents {
		if !e.Type().IsRegular() || e.Name() == FileSums || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		sum, err := hashBundleFile(dir, e.Name())
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, e.Name())
	}
	return writeFileSync(filepath.Join(dir, FileSums), []byte(b.String()))
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
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// VerifyOptions are what verification may use besides the bundle.
type VerifyOptions struct {
	// Key re-derives the radioactivity numbers; without it they are taken
	// as recorded (and the report says so).
	Key *watermark.Key
	// PublicKey, if set, is the only signer accepted.
	PublicKey ed25519.PublicKey
	// Tool is the verifying program and version (as in a manifest's tool
	// field); a different one is pointed out, since result wording and
	// methods are versioned with the tool.
	Tool string
}

// Verify re-checks a bundle from its files alone: hashes, transcript
// integrity, the Merkle root and signature, and every number in
// results.json. It returns the checks made; err is non-nil only when the
// bundle cannot be read at all.
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
	add("hashes", verifySums(ctx, dir), "every file matches SHA256SUMS")
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
	if in.Canaries.SHA256 != in.Manifest.Canaries.SHA256 {
		add("canaries", fmt.Errorf("%s has sha256 %s, the manifest says %s", FileCanaries, in.Canaries.SHA256, in.Manifest.Canaries.SHA256), "")
	}
	add("transcripts", verifyRecords(in.Records), "every answer text re-extracted from its raw response")

	rootFile, err := ReadBundleFile(dir, FileRoot)
	if err == nil && strings.TrimSpace(string(rootFile)) != in.MerkleRoot {
		err = fmt.Errorf("%s says %s, the transcripts give %s", FileRoot, strings.TrimSpace(string(rootFile)), in.MerkleRoot)
	}
	add("merkle root", err, in.MerkleRoot)
	switch sig, err := ReadBundleFile(dir, FileSignature); {
	case err == nil:
		detail, err := verifySignature(sig, rootFile, o.PublicKey)
		add("signature", err, detail)
	case !errors.Is(err, fs.ErrNotExist):
		add("signature", err, "")
	case o.PublicKey != nil:
		add("signature", fmt.Errorf("a signer was given but the bundle has no %s", FileSignature), "")
	}

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

// verifySums checks every file SHA256SUMS lists against its hash, each
// read once (a name listed twice is refused, so the list cannot multiply
// the work) with ReadBundleFile's checks.
func verifySums(ctx context.Context, dir string) error {
	data, err := ReadBundleFile(dir, FileSums)
	if err != nil {
		return err
	}
	listed := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: stopped at line %d: %w", FileSums, line, err)
		}
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 || !plainFileName(name) {
			return errLine(FileSums, line, "not a \"SHA256  NAME\" line")
		}
		if listed[name] {
			return errLine(FileSums, line, "lists %s a second time", name)
		}
		got, err := hashBundleFile(dir, name)
		if err != nil {
			return errLine(FileSums, line, "%v", err)
		}
		if got != sum {
			return fmt.Errorf("%s: SHA-256 differs from %s line %d (the file was altered)", name, FileSums, line)
		}
		listed[name] = true
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s line %d: %w", FileSums, line+1, err)
	}
	for _, need := range []string{FileManifest, FileCanaries, FileTranscripts, FileResults, FileRoot} {
		if !listed[need] {
			return fmt.Errorf("%s does not list %s", FileSums, need)
		}
	}
	return nil
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

func verifySignature(sigFile, root []byte, pinned ed25519.PublicKey) (string, error) {
	var s Signature
	if err := json.Unmarshal(sigFile, &s); err != nil {
		return "", fmt.Errorf("%s: %w", FileSignature, err)
	}
	pub, err1 := base64.StdEncoding.DecodeString(s.PublicKey)
	sig, err2 := base64.StdEncoding.DecodeString(s.Signature)
	if s.Algorithm != "ed25519" || err1 != nil || err2 != nil || len(pub) != ed25519.PublicKeySize {
		return "", fmt.Errorf("%s: not an ed25519 signature record", FileSignature)
	}
	if pinned != nil && !bytes.Equal(pinned, pub) {
		return "", fmt.Errorf("%s: signed by %s, not by the given public key %s", FileSignature, KeyFingerprint(pub), KeyFingerprint(pinned))
	}
	if !ed25519.Verify(pub, root, sig) {
		return "", fmt.Errorf("%s: the signature does not match %s", FileSignature, FileRoot)
	}
	detail := "valid ed25519 signature by " + KeyFingerprint(pub)
	if pinned == nil {
		detail += " (signer not pinned: pass --pub to require a key)"
	}
	return detail, nil
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
