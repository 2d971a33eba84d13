//go:build unix

package bundlefile

import "syscall"

// openNoFollow makes opening a bundle file fail on a symbolic link put in
// place after it was checked, and keeps it from waiting on a named pipe
// (reads of a regular file ignore O_NONBLOCK).
const openNoFollow = syscall.O_NOFOLLOW | syscall.O_NONBLOCK
