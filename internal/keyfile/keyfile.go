// Package keyfile writes and reads small files that hold secrets (watermark
// keys, signing keys) and their public halves, safely in a folder someone
// else may also write to.
//
// Write never writes through a symbolic link: a link planted at the path
// would otherwise make us overwrite the file it points to, or put a secret
// where others can read it. A new file is created with O_EXCL (and
// O_NOFOLLOW where the system has it); a replaced file is written to a
// temporary file in the same folder and renamed over the old one, which
// replaces a directory entry and never the target of a link. Read refuses
// a secret that is not a regular file, that group or others may read or
// write, or (on Unix) that another user owns.
//
// keyfile prints nothing; its errors say what to do and leave the path to
// the caller's context.
package keyfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// ErrExist is returned (wrapped) by Write when the file exists and
// overwrite is not set.
var ErrExist = errors.New("file exists")

// Write writes data to path with mode perm. Without overwrite it refuses
// an existing path (ErrExist); with it, it replaces a regular file
// atomically. Either way it refuses a symbolic link or any other
// non-regular file at path.
func Write(path string, data []byte, perm fs.FileMode, overwrite bool) error {
	if err := CheckPath(path); err != nil {
		return err
	}
	if overwrite {
		return replace(path, data, perm)
	}
	return create(path, data, perm)
}

// LoadKey reads a secret key file (Read: a regular file of at most limit
// bytes, private to its owner) and parses it, each error naming the
// path; parse's errors must not quote the file.
func LoadKey[K any](path string, limit int64, parse func([]byte) (K, error)) (K, error) {
	var zero K
	data, err := Read(path, limit)
	if err != nil {
		return zero, fmt.Errorf("load key %s: %w", path, err)
	}
	k, err := parse(data)
	if err != nil {
		return zero, fmt.Errorf("load key %s: %w", path, err)
	}
	return k, nil
}

// WriteKey writes a secret key file with mode 0600 (Write), its errors
// saying what was refused: a key is never replaced without overwrite.
func WriteKey(path string, data []byte, overwrite bool) error {
	if err := Write(path, data, 0o600, overwrite); err != nil {
		if errors.Is(err, ErrExist) {
			return fmt.Errorf("write key %s: file exists (refusing to overwrite a key)", path)
		}
		return fmt.Errorf("write key %s: %w", path, err)
	}
	return nil
}

// CheckPath fails when path exists and is not a regular file (a symbolic
// link, a folder, a device): Write would refuse it. Callers that write
// several files check them all first, so that nothing is half written.
func CheckPath(path string) error {
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case st.Mode()&fs.ModeSymlink != 0:
		return errors.New("the path is a symbolic link; refusing to write through it (remove the link or choose another path)")
	case !st.Mode().IsRegular():
		return errors.New("the path exists and is not a regular file")
	}
	return nil
}

// create makes a new file; O_EXCL makes the kernel refuse any existing
// entry, links included, so a link planted after CheckPath is refused too.
func create(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, perm)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			if cerr := CheckPath(path); cerr != nil {
				return cerr
			}
			return fmt.Errorf("%w (refusing to overwrite it)", ErrExist)
		}
		return err
	}
	if err := writeAll(f, data, perm); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// replace writes a temporary file beside path and renames it over path.
func replace(path string, data []byte, perm fs.FileMode) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := writeAll(f, data, perm); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// writeAll sets the exact mode (creation honours the umask), writes,
// syncs and closes f.
func writeAll(f *os.File, data []byte, perm fs.FileMode) error {
	if err := f.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Read reads a secret file of at most limit bytes. It fails when the file
// is not a regular file, when group or others may read or write it, or
// when it belongs to another user (systems with Unix permissions).
func Read(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkSecret(path, st); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes; is it a key?", limit)
	}
	return data, nil
}

// checkSecret is Read's test of the opened file's mode and owner.
func checkSecret(path string, st fs.FileInfo) error {
	if !st.Mode().IsRegular() {
		return errors.New("not a regular file")
	}
	if runtime.GOOS == "windows" {
		return nil
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("permissions %04o let group or others read it; run: chmod 600 %s", perm, path)
	}
	if uid, ok := owner(st); ok && uid != os.Geteuid() {
		return fmt.Errorf("owned by user id %d, not by this user (%d): another user could have written or read it", uid, os.Geteuid())
	}
	return nil
}
