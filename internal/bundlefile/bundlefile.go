// Package bundlefile reads and writes the files of a probe's folder, which
// becomes an evidence bundle, safely: a bundle may come from an adversary,
// so every read takes a regular file directly in the folder, follows no
// link and stops at a size limit (an error naming the file, not an
// out-of-memory kill), and every write is synced so that a bundle on disk
// is whole.
//
// It is shared by package probe, which writes and resumes the folder, and
// package evidence, which seals and verifies it; each names the files it
// owns and their limits (a Kind). It imports only the standard library.
package bundlefile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Errors of bundle files that are refused; Read wraps them in an error
// naming the file.
var (
	ErrNotRegular = errors.New("a bundle's files must be regular files")
	ErrTooLarge   = errors.New("bundle file too large")
)

// Kind is what a read of one kind of bundle file allows: at most Limit
// bytes of What ("a manifest"), named in the error when it is larger.
type Kind struct {
	Limit int64
	What  string
}

// Read reads the file name (a plain file name, no directory) of the folder
// dir. It refuses a symbolic link or anything else that is not a regular
// file (an error wrapping ErrNotRegular), and a file larger than k.Limit
// (wrapping ErrTooLarge). A missing file gives an error satisfying
// errors.Is(err, fs.ErrNotExist).
func Read(dir, name string, k Kind) ([]byte, error) {
	f, size, err := Open(dir, name, k)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	buf.Grow(int(size) + bytes.MinRead)
	n, err := buf.ReadFrom(io.LimitReader(f, k.Limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if n > k.Limit {
		return nil, TooLarge(name, k) // it grew after the size check
	}
	return buf.Bytes(), nil
}

// Hash is the hex SHA-256 of a bundle file, read in a stream under the
// same checks as Read.
func Hash(dir, name string, k Kind) (string, error) {
	f, _, err := Open(dir, name, k)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, k.Limit+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	if n > k.Limit {
		return "", TooLarge(name, k)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Open opens a bundle file for reading after checking, without following
// links, that it is a regular file within k's limit, and checks again on
// the open file that it is the same one (so a file swapped for a link or a
// pipe in between is refused too). It returns the file and its size.
func Open(dir, name string, k Kind) (*os.File, int64, error) {
	if !PlainName(name) {
		return nil, 0, fmt.Errorf("%q is not a file name in the bundle folder", name)
	}
	path := filepath.Join(dir, name)
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s is %s: %w", name, DescribeMode(fi.Mode()), ErrNotRegular)
	}
	if fi.Size() > k.Limit {
		return nil, 0, TooLarge(name, k)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNoFollow, 0)
	if err != nil {
		return nil, 0, err
	}
	now, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !now.Mode().IsRegular() || !os.SameFile(fi, now) {
		f.Close()
		return nil, 0, fmt.Errorf("%s was replaced while being opened: %w", name, ErrNotRegular)
	}
	if now.Size() > k.Limit {
		f.Close()
		return nil, 0, TooLarge(name, k)
	}
	return f, now.Size(), nil
}

// TooLarge is the error for a file name over k's limit, wrapping
// ErrTooLarge.
func TooLarge(name string, k Kind) error {
	return fmt.Errorf("%s is larger than %s, the limit for %s: %w", name, byteSize(k.Limit), k.What, ErrTooLarge)
}

// WriteSync writes a file and syncs it, so a bundle on disk is whole.
func WriteSync(path string, data []byte) error {
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

// PlainName reports whether name names a file directly in a folder: not
// empty, no separator, not "." or "..".
func PlainName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`+"\x00") && !filepath.IsAbs(name) && filepath.VolumeName(name) == ""
}

// DescribeMode names what a directory entry is when it is not a regular
// file, for an error.
func DescribeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file (" + m.Type().String() + ")"
}

// ErrLine is an error about one line of a named file.
func ErrLine(file string, line int, format string, args ...any) error {
	return fmt.Errorf("%s line %d: %s", file, line, fmt.Sprintf(format, args...))
}

// byteSize writes a limit in the largest binary unit that divides it.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
