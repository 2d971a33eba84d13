package probe

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"

	"forensics/watermark"
)

// PublicName is how evidence names the target a spec opens: its kind and
// model, and nothing of the examiner's machine. A bundle is handed to
// others (a court, the other side), and a spec holds local paths, among
// them the watermark key file's:
//
//	ollama://HOST:PORT/MODEL              as given, without user info, query or fragment
//	openai[s]://HOST:PORT/v1/MODEL        the same
//	embedded:reference                    the shipped model
//	embedded:NAME.model?sha256=H          a model file by base name and SHA-256
//	file:NAME.jsonl?sha256=H              a transcript file (its copy is in the bundle)
//
// An embedded target's key is named by id and commitment
// (&key_id=ID&key_commitment=C), never by its file; plant=1 is kept. A
// scheme OpenTarget does not know (a stand-in of Setup.Open) keeps its
// scheme and the last element of the rest. The name is a label: no
// target is ever opened from it (Setup keeps the specs).
func PublicName(spec string) (string, error) { return publicName(spec, nil) }

// publicName is PublicName with a file target's copy, already read (nil:
// read it): the hash named is that of the copy the bundle keeps.
func publicName(spec string, fileCopy []byte) (string, error) {
	scheme, rest, ok := strings.Cut(spec, ":")
	switch scheme {
	case "ollama", "openai", "openais":
		return publicURL(spec)
	case "embedded":
		return publicEmbedded(spec, rest)
	case "file":
		p := fileTargetPath(spec)
		if fileCopy == nil {
			data, err := readSource(p)
			if err != nil {
				return "", fmt.Errorf("target %s: %w", spec, err)
			}
			fileCopy = data
		}
		return "file:" + baseName(p) + "?sha256=" + sha256Hex(fileCopy), nil
	}
	// A stand-in (the experiments' own targets): its base name, without
	// a query, fragment or parameter, which may carry a token.
	if !ok {
		return baseName(withoutQuery(spec)), nil
	}
	return baseName(scheme) + ":" + baseName(withoutQuery(rest)), nil
}

// withoutQuery is s up to its first '?', '#' or ';'.
func withoutQuery(s string) string {
	if i := strings.IndexAny(s, "?#;"); i >= 0 {
		return s[:i]
	}
	return s
}

// publicURL drops what a URL may carry besides host and path: user info
// (a password), a query or a fragment (an API key given as a parameter).
func publicURL(spec string) (string, error) {
	u, err := url.Parse(spec)
	if err != nil {
		return "", fmt.Errorf("target %q: %w", spec, err)
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String(), nil
}

// publicEmbedded names an embedded target by model (base name and hash for
// a file) and key (id and commitment).
func publicEmbedded(spec, rest string) (string, error) {
	name, query, _ := strings.Cut(rest, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", fmt.Errorf("target %q: %w", spec, err)
	}
	var params []string
	out := "embedded:reference"
	if name != "reference" {
		sum, err := fileSHA256(name)
		if err != nil {
			return "", fmt.Errorf("target %s: %w", spec, err)
		}
		out = "embedded:" + baseName(name)
		params = append(params, "sha256="+sum)
	}
	if kp := q.Get("key"); kp != "" {
		key, err := watermark.LoadKey(kp)
		if err != nil {
			return "", fmt.Errorf("target %s: %w", spec, err)
		}
		params = append(params, "key_id="+url.QueryEscape(key.ID), "key_commitment="+key.Commitment())
	}
	if p := q.Get("plant"); p != "" {
		params = append(params, "plant="+url.QueryEscape(p))
	}
	if len(params) > 0 {
		out += "?" + strings.Join(params, "&")
	}
	return out, nil
}

// baseName is the last element of a slash- or backslash-separated path
// ("" for none).
func baseName(p string) string {
	p = strings.ReplaceAll(strings.TrimRight(p, `/\`), `\`, "/")
	if p == "" {
		return ""
	}
	return path.Base(p)
}

// fileSHA256 hashes a file as it streams (a model file may be large).
func fileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func sha256Hex(data []byte) string {
	d := sha256.Sum256(data)
	return hex.EncodeToString(d[:])
}

// publicCommand is the command line as the manifest records it: a target
// spec becomes the target's public name, and any other value with a path
// separator in it (the key, the tokenizer, --out, a request log) its base
// name. Base names rather than a blank: the reader still sees which flags
// were given and which file each named (the bundle identifies the key by
// commitment, the logs by hash), as the relay check names its logs, and
// nothing of where the examiner keeps them.
func publicCommand(args []string, names map[string]string) []string {
	if args == nil {
		return nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		flag, value, isFlag := strings.Cut(a, "=")
		if !isFlag || !strings.HasPrefix(flag, "-") {
			flag, value = "", a
		}
		switch n, ok := names[value]; {
		case ok:
			value = n
		case strings.ContainsAny(value, `/\`):
			value = baseName(value)
		}
		if flag != "" {
			value = flag + "=" + value
		}
		out[i] = value
	}
	return out
}
