//go:build !unix

package caseledger

import "os"

// lockFile is a no-op where flock is not available: one writer per
// ledger is then the operator's to ensure.
func lockFile(*os.File) error { return nil }
