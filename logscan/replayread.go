package logscan

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// fileRead is one log file as a read found it: its identity when opened
// and the bytes read from it (compressed, for gzip), so that a second
// read, the page's replay, reads the very bytes the scan read.
type fileRead struct {
	path  string
	info  os.FileInfo // nil when unknown
	bytes int64
}

// readAgain reads the bytes the scan read of each file, in order, and
// passes their records to fn. A log appended during the scan gives the
// same bytes; one rotated, truncated, or not a regular file (a pipe, a
// device) cannot be read again: readAgain then reads nothing and says
// why, so that the page never draws the times of another log than the
// scan's. Files are checked before any is read.
func readAgain(ctx context.Context, files []fileRead, layout Layout, fn func(Record) error) (skip string, err error) {
	if len(files) == 0 {
		return "no log file was read (the records came from elsewhere)", nil
	}
	opened := make([]*os.File, 0, len(files))
	defer func() {
		for _, f := range opened {
			f.Close()
		}
	}()
	for i, fr := range files {
		f, why := reopen(fr)
		if why != "" {
			return fmt.Sprintf("log file %d of %d (%s) %s", i+1, len(files), filepath.Base(fr.path), why), nil
		}
		opened = append(opened, f)
	}
	p := newParser(layout.withDefaults(), 1)
	for i, f := range opened {
		err := readerBatches(ctx, files[i].path, io.LimitReader(f, files[i].bytes), func(b *rawBatch) error {
			pb := p.parse(b)
			for _, r := range pb.shards[0] {
				if err := fn(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	return "", nil
}

// reopen opens a file the scan read, or says why its bytes cannot be
// read again.
func reopen(fr fileRead) (*os.File, string) {
	if fr.info == nil || !fr.info.Mode().IsRegular() {
		return nil, "is not a regular file (a pipe or a device): what the scan read of it is gone"
	}
	f, err := os.Open(fr.path)
	if err != nil {
		return nil, "cannot be opened again"
	}
	now, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return nil, "cannot be read again"
	case !os.SameFile(fr.info, now):
		f.Close()
		return nil, "was replaced after the scan read it (rotated?)"
	case now.Size() < fr.bytes:
		f.Close()
		return nil, "shrank after the scan read it (truncated?)"
	}
	return f, ""
}
