package evidence

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"path/filepath"

	"forensics/internal/buildinfo"
	"forensics/internal/bundlefile"
	"forensics/llm/tokenizer"
	"forensics/probe"
	"forensics/watermark"
)

// Probe runs a probe and finishes its bundle: probe.Collect (targets
// opened and checked, the folder prepared or resumed, every query asked,
// the relay check by request log), then Finish, signed by s.Sign when it
// is set. On cancellation it returns the context's error with everything
// received so far saved; the same setup resumes.
func Probe(ctx context.Context, s probe.Setup) (*probe.Results, probe.RunStats, error) {
	stats, err := probe.Collect(ctx, s)
	if err != nil {
		return nil, stats, err
	}
	res, err := Finish(ctx, s.Dir, s.Key, s.Tokenizer, s.Sign)
	return res, stats, err
}

// Finish computes the battery over a probe directory and seals it: it
// writes results.json and MERKLE_ROOT, then the statement over every file
// in the directory, signed when sign is set (see Seal).
func Finish(ctx context.Context, dir string, key *watermark.Key, tk tokenizer.Tokenizer, sign ed25519.PrivateKey) (*probe.Results, error) {
	in, err := loadInputs(dir, tk)
	if err != nil {
		return nil, err
	}
	in.Key = key
	res, err := probe.Analyze(ctx, in)
	if err != nil {
		return nil, err
	}
	res.Build = buildinfo.Current()
	rb, err := MarshalResults(res)
	if err != nil {
		return nil, err
	}
	if err := bundlefile.WriteSync(filepath.Join(dir, FileResults), rb); err != nil {
		return nil, err
	}
	if err := bundlefile.WriteSync(filepath.Join(dir, FileRoot), []byte(in.MerkleRoot+"\n")); err != nil {
		return nil, err
	}
	return res, Seal(dir, sign)
}

// MarshalResults is results.json's canonical bytes.
func MarshalResults(r *probe.Results) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// recordedBuild is the build results.json says computed it (nil when it
// names none, as results from before builds were recorded).
func recordedBuild(results []byte) (*buildinfo.Info, error) {
	var r struct {
		Build *buildinfo.Info `json:"build"`
	}
	if err := json.Unmarshal(results, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", FileResults, err)
	}
	if err := r.Build.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", FileResults, err)
	}
	return r.Build, nil
}
