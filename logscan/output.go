package logscan

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// WriteOutputs writes accounts.csv, clusters.csv and report.html into dir.
func WriteOutputs(rep *Report, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output folder: %w", err)
	}
	for name, write := range map[string]func(io.Writer) error{
		"accounts.csv": func(w io.Writer) error { return writeAccountsCSV(w, rep) },
		"clusters.csv": func(w io.Writer) error { return writeClustersCSV(w, rep) },
		"report.html":  func(w io.Writer) error { return writeHTML(w, rep) },
	} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := write(f); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

func writeAccountsCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	head := []string{"account", "requests", "tokens", "first", "last", "score", "what", "how", "reference_tail", "risk", "action", "throttle", "capped", "cluster"}
	head = append(head, indicatorOrder...)
	head = append(head, "fired")
	cw.Write(head)
	for _, a := range rep.Accounts {
		vals := map[string]string{}
		for _, in := range a.Indicators {
			vals[in.Name] = strconv.FormatFloat(in.Value, 'g', 6, 64)
		}
		row := []string{csvText(a.Account), strconv.Itoa(a.Requests), strconv.Itoa(a.Tokens), a.First.Format("2006-01-02T15:04:05Z07:00"),
			a.Last.Format("2006-01-02T15:04:05Z07:00"), fmtNum(a.Score), fmtNum(a.What), fmtNum(a.How), fmtNum(a.ReferenceTail),
			strconv.FormatFloat(a.Risk, 'f', 3, 64), a.Action, strconv.FormatFloat(a.Throttle, 'f', 2, 64), csvText(a.Capped), strconv.Itoa(a.Cluster)}
		for _, name := range indicatorOrder {
			row = append(row, vals[name])
		}
		row = append(row, strings.Join(a.Fired, " "))
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

func writeClustersCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"cluster", "score", "what", "how", "reference_tail", "action", "accounts", "requests", "fired", "links"})
	for _, c := range rep.Clusters {
		cw.Write([]string{strconv.Itoa(c.ID), fmtNum(c.Score), fmtNum(c.What), fmtNum(c.How), fmtNum(c.ReferenceTail), c.Action, csvText(strings.Join(c.Accounts, " ")),
			strconv.Itoa(c.Requests), strings.Join(c.Fired, " "), csvText(strings.Join(c.Links, "; "))})
	}
	cw.Flush()
	return cw.Error()
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'g', 6, 64) }

// csvText keeps a text cell that holds log content (an account name, the
// links between accounts) from being run as a formula by a spreadsheet:
// a cell starting with =, +, -, @, tab or carriage return gets a leading
// single quote (OWASP, "CSV Injection"). Numeric cells, which we write,
// are not passed through it and stay numbers.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
