// Package buildinfo is the identity of the running build: the program,
// its module version, the VCS revision it was built from (and whether the
// working tree had changes), the Go toolchain and platform, and the
// SHA-256 of the executable itself. Evidence records it so that a reader
// knows which code made a number, and verify can say whether its own build
// is the same.
//
// The revision comes from what the Go toolchain stamps into the binary
// (debug.ReadBuildInfo's vcs.* settings, present when built from a git
// checkout with -buildvcs), or, where Go cannot stamp it (a git worktree,
// whose .git is a file; GOFLAGS=-buildvcs=false), from the linker: the
// Makefile passes -X forensics/internal/buildinfo.revision=… (and time,
// modified). A build with neither is "unstamped": it is then identified
// by its executable's hash alone.
package buildinfo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"unicode/utf8"
)

// Set by the linker (-ldflags -X) when Go's own VCS stamp is missing.
var (
	revision   string // full commit hash
	commitTime string // RFC 3339, UTC
	modified   string // "true" when the working tree had changes
)

// Info is one build's identity. Its JSON names are snake_case; evidence
// files carry it as "build".
type Info struct {
	// Program is the main package's last path element ("forensics"; a
	// test binary says "evidence.test").
	Program string `json:"program"`
	// Version is the main module's version: a release ("v1.2.0"), a
	// pseudo-version Go derives from the revision, or empty for a
	// development build without one.
	Version string `json:"version,omitempty"`
	// Revision is the full VCS commit hash; empty when unstamped.
	Revision string `json:"revision,omitempty"`
	// CommitTime is the revision's commit time (RFC 3339).
	CommitTime string `json:"commit_time,omitempty"`
	// Modified: the working tree had uncommitted changes, so the
	// revision does not name all of the code.
	Modified  bool   `json:"modified"`
	GoVersion string `json:"go_version"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	// BinarySHA256 is the hash of the executable that ran: it names the
	// exact binary even when nothing else does.
	BinarySHA256 string `json:"binary_sha256,omitempty"`
}

// Current is the running program's build, read once; the first call
// hashes the executable.
func Current() *Info { return current() }

var current = sync.OnceValue(func() *Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	i := from(bi, linkerStamp())
	i.BinarySHA256 = executableSHA256()
	return &i
})

// stamp is a revision handed to the linker.
type stamp struct{ revision, time, modified string }

func linkerStamp() stamp { return stamp{revision, commitTime, modified} }

// from reads a build's identity from its build info (nil: none), with
// the linker's stamp where the toolchain recorded no revision.
func from(bi *debug.BuildInfo, ld stamp) Info {
	i := Info{Program: "forensics", GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
	if bi == nil {
		return applyStamp(i, ld)
	}
	if bi.Path != "" {
		i.Program = path.Base(bi.Path)
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		i.Version = v
	}
	if bi.GoVersion != "" {
		i.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOOS":
			i.GOOS = s.Value
		case "GOARCH":
			i.GOARCH = s.Value
		case "vcs.revision":
			i.Revision = s.Value
		case "vcs.time":
			i.CommitTime = s.Value
		case "vcs.modified":
			i.Modified = s.Value == "true"
		}
	}
	if strings.HasSuffix(i.Version, "+dirty") {
		i.Modified = true
	}
	return applyStamp(i, ld)
}

// applyStamp fills the revision from the linker's stamp when the
// toolchain gave none.
func applyStamp(i Info, ld stamp) Info {
	if i.Revision != "" || ld.revision == "" {
		return i
	}
	i.Revision, i.CommitTime, i.Modified = ld.revision, ld.time, i.Modified || ld.modified == "true"
	return i
}

// executableSHA256 hashes the running executable ("" if it cannot be
// read: the identity then rests on the rest).
func executableSHA256() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Stamped reports whether the build names its code: a VCS revision, or
// a module version (a release installed with go install).
func (i *Info) Stamped() bool { return i.Revision != "" || i.Version != "" }

// Label is the build without the program's name:
// "v0.0.0-20261127111926-7ed32b1cf095+dirty (go1.26.8 linux/amd64)".
func (i *Info) Label() string {
	return i.code(false) + " (" + i.GoVersion + " " + i.GOOS + "/" + i.GOARCH + ")"
}

// String is the one-line identity:
// "forensics v0.0.0-20261127111926-7ed32b1cf095+dirty (go1.26.8 linux/amd64)".
func (i *Info) String() string { return i.Program + " " + i.Label() }

// code names the code the build was made from; an unstamped build by
// its binary's hash, in full if full.
func (i *Info) code(full bool) string {
	dirty := ""
	if i.Modified {
		dirty = "+dirty"
	}
	switch {
	case i.Version != "":
		v := i.Version
		if i.Revision != "" && !strings.Contains(v, short(i.Revision)) {
			v += " rev " + short(i.Revision)
		}
		if !strings.HasSuffix(v, "+dirty") {
			v += dirty
		}
		return v
	case i.Revision != "":
		return "rev " + short(i.Revision) + dirty
	case i.BinarySHA256 != "" && full:
		return "unstamped build: no VCS revision; binary sha256 " + i.BinarySHA256
	case i.BinarySHA256 != "":
		return "unstamped build: no VCS revision; binary sha256 " + short16(i.BinarySHA256)
	}
	return "unstamped build: no VCS revision, no binary hash"
}

// Detail is String with the full revision, its commit time and the
// binary's hash, for a report's Tool row.
func (i *Info) Detail() string { return i.Program + " " + i.longLabel() }

// Tool is Detail with the command that ran after the program's name, for
// records that name their writer in one string (the case ledger's
// events): "forensics serve v1.2.0 (go1.26.8 linux/amd64); binary sha256 …".
func (i *Info) Tool(command string) string {
	return i.Program + " " + command + " " + i.longLabel()
}

// longLabel is Label with the full revision, commit time and binary hash.
func (i *Info) longLabel() string {
	s := i.code(true) + " (" + i.GoVersion + " " + i.GOOS + "/" + i.GOARCH + ")"
	if i.Revision != "" {
		s += "; revision " + i.Revision
		if i.CommitTime != "" {
			s += " committed " + i.CommitTime
		}
		if i.Modified {
			s += ", with uncommitted changes"
		}
	}
	if i.BinarySHA256 != "" && i.Stamped() {
		s += "; binary sha256 " + i.BinarySHA256
	}
	return s
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

func short16(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

// maxField bounds each string of an Info read from outside.
const maxField = 256

// Validate checks an Info read from a file someone else made: every
// field short and valid UTF-8, the hashes hexadecimal. A nil Info (none
// recorded) is valid.
func (i *Info) Validate() error {
	if i == nil {
		return nil
	}
	for name, v := range map[string]string{"program": i.Program, "version": i.Version, "revision": i.Revision, "commit_time": i.CommitTime,
		"go_version": i.GoVersion, "goos": i.GOOS, "goarch": i.GOARCH, "binary_sha256": i.BinarySHA256} {
		if len(v) > maxField || !utf8.ValidString(v) {
			return fmt.Errorf("build %s: longer than %d bytes or not UTF-8", name, maxField)
		}
	}
	if !isHex(i.Revision) || !isHex(i.BinarySHA256) || (i.BinarySHA256 != "" && len(i.BinarySHA256) != 64) {
		return fmt.Errorf("build revision %q or binary_sha256 %q is not a hexadecimal hash", i.Revision, i.BinarySHA256)
	}
	return nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil || (len(s)%2 == 1 && isHex(s+"0"))
}
