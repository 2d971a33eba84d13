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
	case made.BinarySHA256 != "" && made.BinarySHA256 == own.BinarySHA256:
		why := "made by this very executable: " + own.String()
		if own.Stamped() {
			why += ", binary sha256 " + short16(own.BinarySHA256)
		}
		return Comparison{Identical, why}
	}
	pair := fmt.Sprintf("made by %s, this is %s", made.String(), own.String())
	switch {
	case !made.Stamped() || !own.Stamped():
		return Comparison{Unknown, pair + ": an unstamped build names no code, so nobody can tell whether the code is the same"}
	case made.Modified || own.Modified:
		return Comparison{Unknown, pair + ": a build from a modified working tree holds changes its revision does not name, so nobody can tell whether the code is the same"}
	case made.codeID() != own.codeID():
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

// codeID is what names the code: the revision, else the version.
func (i *Info) codeID() string {
	if i.Revision != "" {
		return i.Revision
	}
	return i.Version
}
