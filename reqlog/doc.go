// Package reqlog writes the gateway's request log so that it can serve as
// evidence, and verifies such a log.
//
// The log is JSON Lines: one object per line. The writer adds two fields to
// the front of every object, "seq" (1, 2, 3, … across every file of the
// log) and "prev" (the lowercase hex SHA-256 of the previous line's bytes,
// without its newline; 64 zeros before the first line), so that removing,
// inserting, reordering or editing a line breaks the chain at that point.
//
// Besides request lines, the writer adds lines with an "event" field and no
// account: "opened" (the writer started), "rotated" (first line of a new
// file, naming the archive that holds the lines before it), "checkpoint",
// and "gap" (lines that could not be written while the disk failed; their
// number and the time span). A checkpoint carries an ed25519 signature,
// when the writer has a signing key, over
//
//	forensics-log-checkpoint-v1\n<seq>\n<prev>\n<ts>\n
//
// that is, over the hash of everything before it. Checkpoints are written
// every CheckpointEvery, at rotation and at Close, and each is also
// appended to a side file (the log's path + ".checkpoints"), which an
// operator ships elsewhere: a log cut after its last exported checkpoint
// then no longer matches the side file.
//
// Rotation renames the file to path + "." + a UTC timestamp and, by
// default, compresses it with gzip. Files are never deleted by count; only
// archives older than RetentionDays, if that is set.
//
// When a write fails (a full disk, say), the line is kept in memory (up to
// MaxPending lines), the failure is reported through the logger and by
// Healthy, and the writer retries every second; a partly written line is
// cut off again, or, if that is impossible, ended with a newline so that it
// never merges with the next one. Lines beyond MaxPending are counted and
// recorded as a gap once writing works again. Close reports lines that
// were lost or are still unwritten.
package reqlog
