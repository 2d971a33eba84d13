package report

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Bounds on the options, which a bundle from someone else records in its
// report.json (up to evidence's file cap): a title of megabytes took
// minutes to set in the PDF, and a negative sample count panicked.
const (
	// MaxTitle bounds the title and the case id, in bytes.
	MaxTitle = 512
	// MaxSamples bounds the sample transcripts in the appendix.
	MaxSamples = 1000
	// maxFormats bounds the formats list (a list may repeat a format, as
	// --format md,md once recorded it).
	maxFormats = 16
)

// Validate checks options before they are rendered: those a caller gives
// and those read from a bundle's report.json. Zero values are valid (they
// read as the defaults). A layout later than this build's is refused with
// the advice to verify with a later build, rather than rendered as another.
func (o Options) Validate() error {
	if len(o.Title) > MaxTitle {
		return fmt.Errorf("title of %d bytes: at most %d", len(o.Title), MaxTitle)
	}
	if len(o.CaseID) > MaxTitle {
		return fmt.Errorf("case id of %d bytes: at most %d", len(o.CaseID), MaxTitle)
	}
	if o.Samples < 0 || o.Samples > MaxSamples {
		return fmt.Errorf("samples %d: between 0 and %d", o.Samples, MaxSamples)
	}
	if len(o.Formats) > maxFormats {
		return fmt.Errorf("%d formats: at most %d", len(o.Formats), maxFormats)
	}
	for _, f := range o.Formats {
		if !knownFormat(f) {
			return fmt.Errorf("unknown report format %q (md, html, pdf)", f)
		}
	}
	if o.Layout < LayoutFirst || o.Layout > CurrentLayout {
		return fmt.Errorf("layout %d %w", o.Layout, errLaterLayout)
	}
	if err := o.Build.Validate(); err != nil {
		return err
	}
	return nil
}

// errLaterLayout is a layout this build does not know: a later build's,
// not a malformed file.
var errLaterLayout = errors.New("is unknown to this build: verify with a later build")

func knownFormat(f string) bool { return f == "md" || f == "html" || f == "pdf" }

// parseOptions reads report.json's options and validates them.
func parseOptions(data []byte) (Options, error) {
	var o Options
	if err := json.Unmarshal(data, &o); err != nil {
		return Options{}, fmt.Errorf("%s: %w", FileOptions, err)
	}
	if err := o.Validate(); errors.Is(err, errLaterLayout) {
		return Options{}, fmt.Errorf("%s: %w", FileOptions, err)
	} else if err != nil {
		return Options{}, fmt.Errorf("%s is malformed: %w", FileOptions, err)
	}
	return o, nil
}
