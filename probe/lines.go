package probe

import "fmt"

// maxLine bounds one transcript line: a response of maxResponse bytes, JSON
// escaped, plus the request.
const maxLine = 6 * maxResponse

// errLine is an error about one line of a named file.
func errLine(file string, line int, format string, args ...any) error {
	return fmt.Errorf("%s line %d: %s", file, line, fmt.Sprintf(format, args...))
}
