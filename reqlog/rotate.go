package reqlog

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// archiveStamp names archives; it sorts in time order as text.
const archiveStamp = "20060102T150405.000000000Z"

func (w *Writer) archiveName(tag string) string {
	name := w.o.Path + "." + w.o.Now().UTC().Format(archiveStamp)
	if tag != "" {
		name += "-" + tag
	}
	return name
}

// rotateLocked ends the live file with a checkpoint, moves it to an
// archive and continues the chain in a new file whose first line names the
// archive. The new file is written beside the old one before the two
// renames, so that a crash leaves a whole file at Path (or, between the
// renames, Path + ".new", which Open finishes moving).
func (w *Writer) rotateLocked() error {
	if err := w.checkpointLocked(); err != nil {
		return err
	}
	archive := w.archiveName("")
	newPath := w.o.Path + ".new"
	os.Remove(newPath)
	nf, err := w.o.openFile(newPath)
	if err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	b, _ := json.Marshal(map[string]any{"ts": w.o.Now().UTC().Format(time.RFC3339Nano), "event": "rotated", "archive": filepath.Base(archive)})
	rec := chain(b, w.seq+1, w.prev)
	if _, err := nf.Write(append(rec, '\n')); err != nil {
		nf.Close()
		os.Remove(newPath)
		return fmt.Errorf("rotate: %w", err)
	}
	if err := nf.Sync(); err != nil {
		nf.Close()
		os.Remove(newPath)
		return fmt.Errorf("rotate: %w", err)
	}
	if err := os.Rename(w.o.Path, archive); err != nil {
		nf.Close()
		os.Remove(newPath)
		return fmt.Errorf("rotate: %w", err)
	}
	if err := os.Rename(newPath, w.o.Path); err != nil {
		// Open finishes this rename after a restart; until then lines go
		// to the new file under its temporary name.
		w.o.Logger.Error("request log rotation: rename", "err", err)
	}
	w.f.Close()
	w.f, w.size = nf, int64(len(rec)+1)
	w.seq++
	w.prev = sha256Sum(rec)
	w.dirty = false
	w.bg.Add(1)
	go func() {
		defer w.bg.Done()
		w.archive(archive)
	}()
	return nil
}

// archive compresses a rotated file and applies the retention period.
func (w *Writer) archive(path string) {
	if w.o.Compress {
		if err := gzipFile(path); err != nil {
			w.o.Logger.Error("request log: compress archive (kept uncompressed)", "archive", path, "err", err)
		}
	}
	if w.o.RetentionDays > 0 {
		cutoff := w.o.Now().Add(-time.Duration(w.o.RetentionDays) * 24 * time.Hour)
		for _, a := range archives(w.o.Path) {
			if t, ok := archiveTime(w.o.Path, a); ok && t.Before(cutoff) {
				if err := os.Remove(a); err != nil {
					w.o.Logger.Error("request log: retention", "archive", a, "err", err)
				} else {
					w.o.Logger.Info("request log: archive past retention removed", "archive", a)
				}
			}
		}
	}
}

// gzipFile replaces path with path.gz, written and synced before the
// original is removed.
func gzipFile(path string) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := path + ".gz.tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(out)
	_, err = io.Copy(zw, in)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if serr := out.Sync(); err == nil {
		err = serr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path+".gz")
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Remove(path)
}

// archives lists the rotated files of the log at path, oldest first.
func archives(path string) []string {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	names := map[string]bool{}
	for _, e := range entries {
		names[e.Name()] = true
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if _, ok := archiveTime(path, filepath.Join(dir, n)); !ok || !strings.HasPrefix(n, base+".") {
			continue
		}
		if plain, ok := strings.CutSuffix(n, ".gz"); ok && names[plain] {
			continue // compression was cut short: the plain file is whole
		}
		out = append(out, filepath.Join(dir, n))
	}
	sort.Strings(out)
	return out
}

// archiveTime reads the rotation time from an archive's name.
func archiveTime(path, archive string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(filepath.Base(archive), filepath.Base(path)+".")
	if !ok || len(rest) < len(archiveStamp) || strings.HasSuffix(rest, ".tmp") {
		return time.Time{}, false
	}
	t, err := time.Parse(archiveStamp, rest[:len(archiveStamp)])
	return t, err == nil
}

// Files lists every file of the log at path in chain order: its archives,
// oldest first, then the live file.
func Files(path string) ([]string, error) {
	files := archives(path)
	if _, err := os.Stat(path); err == nil {
		files = append(files, path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no request log at %s", path)
	}
	return files, nil
}
