package buildinfo

import (
	"fmt"
	"strings"
)

// Sameness is how far two builds are known to be the same.
type Sameness int

const (
	// Identical: the same executable, byte for byte.
	Identical Sameness = iota
	// SameCode: the same revision (or release), unmodified on both
	// sides, built differently: another Go version, platform or set of
	// build flags.
	SameCode
	// OtherCode: another revision or release.
	OtherCode
	// Unknown: one side names no code (unstamped, or no build recorded)
	// or was built from a modified tree, so nobody can tell whether the
	// code is the same.
	Unknown
)

// Comparison is what Compare found.
type Comparison struct {
	Sameness Sameness
	// Why says it in words, naming both builds.
	Why string
}

// Compare compares the build that made something (nil: none recorded)
// with another, typically Current().
func Compare(made, own *Info) Comparison {
	switch {
	case made == nil:
		return Comparison{Unknown, "the bundle records no build, so nobody can tell whether the code is the same as this build's (" + own.String() + ")"}
	case made.BinarySHA256 != "" && made.BinarySHA256 == own.BinarySHA256 && *made == *own:
		// The record is the bundle's claim, signed with it: nothing in
		// the bundle proves which binary ran (and ours is public).
		why := "the bundle says it was made by this very executable (" + own.String()
		if own.Stamped() {
			why += ", binary sha256 " + short16(own.BinarySHA256)
		}
		return Comparison{Identical, why + "): a record signed with the bundle, not a proof"}
	case made.BinarySHA256 != "" && made.BinarySHA256 == own.BinarySHA256:
		return Comparison{Unknown, fmt.Sprintf("the bundle's record names this executable's SHA-256 but another build (%s; this is %s): the record contradicts itself, so it names no code", made.String(), own.String())}
	}
	pair := fmt.Sprintf("the bundle says it was made by %s, this is %s", made.String(), own.String())
	switch {
	case !made.Stamped() || !own.Stamped():
		return Comparison{Unknown, pair + ": an unstamped build names no code, so nobody can tell whether the code is the same"}
	case made.Modified || own.Modified:
		return Comparison{Unknown, pair + ": a build from a modified working tree holds changes its revision does not name, so nobody can tell whether the code is the same"}
	case !sameCode(made, own):
		return Comparison{OtherCode, pair + ": another revision of the code"}
	}
	var what []string
	if made.GoVersion != own.GoVersion {
		what = append(what, "Go version")
	}
	if made.GOOS != own.GOOS || made.GOARCH != own.GOARCH {
		what = append(what, "platform")
	}
	if len(what) == 0 {
		what = append(what, "build flags or binary")
	}
	return Comparison{SameCode, pair + ": the same code, another " + strings.Join(what, " and ")}
}

// sameCode reports whether two stamped builds name the same code: the
// same program and revision, or the same version; a pseudo-version names the first
// 12 digits of its revision, so it matches a full revision beginning so.
func sameCode(a, b *Info) bool {
	switch {
	case a.Program != b.Program:
		return false
	case a.Revision != "" && b.Revision != "":
		return a.Revision == b.Revision
	case a.Version != "" && a.Version == b.Version:
		return true
	}
	ra, rb := a.revisionPrefix(), b.revisionPrefix()
	n := min(len(ra), len(rb))
	return n >= 12 && ra[:n] == rb[:n]
}

// revisionPrefix is the revision, or the 12 digits a pseudo-version
// (v0.0.0-20261127111926-7ed32b1cf095, with any +dirty) carries, or "".
func (i *Info) revisionPrefix() string {
	if i.Revision != "" {
		return i.Revision
	}
	v, _, _ := strings.Cut(i.Version, "+")
	if k := strings.LastIndexByte(v, '-'); k >= 0 && len(v)-k-1 == 12 && isHex(v[k+1:]) {
		return v[k+1:]
	}
	return ""
}
