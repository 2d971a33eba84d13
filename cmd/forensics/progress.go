package main

import (
	"time"

	"github.com/schollz/progressbar/v3"
)

// barUnit is what a progress bar counts.
type barUnit int

const (
	barCount barUnit = iota // items, shown as "n/total"
	barBytes                // bytes, shown as sizes
)

// progressBar starts a bar on standard error, or returns nil when
// standard error is not a terminal: a bar is for someone watching, and
// would litter a log or a pipe. total, the units to reach, is asked only
// when a bar is drawn, since working it out can cost (file sizes, a probe
// plan). The bar clears itself when finished.
func progressBar(io *ioStreams, what string, unit barUnit, total func() int64) *progressbar.ProgressBar {
	if !io.ErrTTY {
		return nil
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(io.ErrOut),
		progressbar.OptionSetDescription(what),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100 * time.Millisecond),
	}
	if unit == barBytes {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowCount())
	}
	return progressbar.NewOptions64(total(), opts...)
}
