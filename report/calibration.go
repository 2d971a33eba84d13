package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// calibrationJSON is the output of `forensics calibrate` for this build
// (make calibrate copies docs/calibration/calibration.json here), so that
// every report states the measured false-positive rates next to the
// nominal ones.
//
//go:embed calibration.json
var calibrationJSON []byte

type calibration struct {
	Tool string `json:"tool"`
	Sets []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		Trials      int    `json:"trials"`
		Rates       []struct {
			Alpha float64 `json:"alpha"`
			Hits  int     `json:"hits"`
			Rate  float64 `json:"rate"`
			Lo    float64 `json:"ci95_lo"`
			Hi    float64 `json:"ci95_hi"`
		} `json:"rates"`
	} `json:"sets"`
}

// calibrationBlocks is the methodology's table of measured error rates.
func calibrationBlocks() []Block {
	var c calibration
	if err := json.Unmarshal(calibrationJSON, &c); err != nil || len(c.Sets) == 0 {
		return []Block{Para{Text: "No calibration measurement is built into this version of the tool."}}
	}
	header := []string{"Null data", "Trials"}
	for _, r := range c.Sets[0].Rates {
		header = append(header, fmt.Sprintf("α = %g", r.Alpha))
	}
	var rows [][]string
	var notes []string
	for _, s := range c.Sets {
		row := []string{s.Name, fmt.Sprint(s.Trials)}
		for _, r := range s.Rates {
			row = append(row, fmt.Sprintf("%d (%.2g; %.2g–%.2g)", r.Hits, r.Rate, r.Lo, r.Hi))
		}
		rows = append(rows, row)
		notes = append(notes, s.Name+": "+s.Description+".")
	}
	return []Block{
		Para{Text: fmt.Sprintf("Measured false-positive rates against the nominal level α, on data that carries no watermark of ours (%s, forensics calibrate). Each cell: false positives (rate; exact 95%% interval).", c.Tool)},
		Table{Header: header, Rows: rows, Widths: []float64{1.6, 0.8, 1.4, 1.4, 1.4}},
		List{Items: notes},
	}
}
