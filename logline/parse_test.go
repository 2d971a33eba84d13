package logline

import (
	"encoding/json"
	"reflect"
	"testing"
)

var parseSeeds = []string{
	`{"ts":"2026-11-01T10:00:00Z","account":"a","ip":"10.0.0.1","messages":[{"role":"user","content":"hi \"there\"\n\u00e9\ud83d\ude00"},{"role":"assistant","content":"x"}],"params":{"temperature":0.7,"top_logprobs":5,"logit_bias":{"1":2}},"status":200,"prompt_tokens":3,"completion_tokens":10,"watermark":{"key_id":"k"}}`,
	`{"ts":"2026-11-01T10:00:00Z","account":"a","prompt":"raw","params":null,"messages":null}`,
	`{"Account":"A","ts":"2026-11-01T10:00:00Z"}`,
	`{"ts":"2026-11-01T10:00:00Z","account":"a","params":{"temperature":null,"n":2e0,"max_tokens":-1.5E+2}}`,
	`{"ts":"x","account":5}`,
	`{"account":"a\ud800","ts":"2026-11-01T10:00:00Z"} `,
	`{"account":"a","ts":"2026-11-01T10:00:00Z"}{}`,
	`{"account":"a","account":"b","ts":"2026-11-01T10:00:00Z","messages":[null,{"role":"user","content":"q"}]}`,
	"{\"account\":\"\xff\",\"ts\":\"2026-11-01T10:00:00Z\"}",
	`{"account":"a","ts":"2026-11-01T10:00:00Z","x":[1,{"y":[true,false,null]},"s",-0.5e-3]}`,
	`{"account":"a","ts":"2026-11-01T10:00:00Z","status":01}`,
	`{"account":"a","ts":"2026-11-01T10:00:00Z","ſtatus":500,"paramſ":{"top_logprobſ":3}}`,
	`{"account":"a","ts":"2026-11-01T10:00:00Z","messages":[{"role":"system","content":"s"}],"messages":[{"content":"x"},null]}`,
	`{"seq":3,"prev":"ab","account":"a","ts":"2026-11-01T10:00:00Z","system":"harvest this","prompt":"go","sYstem":null}`,
	`{"seq":4,"prev":"ab","ts":"2026-11-01T10:00:00Z","event":"checkpoint","sig":"x"}`,
	`{"account":"a","ts":"2026-11-01T10:00:00Z","messages":[{"role":"system","content":"s"},{"role":"user","content":"u1"},{"role":"assistant","content":"a"},{"role":"tool","content":"t"},{"role":"user","content":"u2"}]}`,
	`{"account":"a","ts":"2026-11-01T10:00:00Z","messages":[],"params":{"n":1},"params":{"temperature":0.2}}`,
	`{"account":"a","ts":"2026-11-01T10:00:00Z","watermark":{"key_id":"prod.case-0001"},"case":"case-0001","Case":"x","cAse":null}`,
	`{"account":"a","ts":"2026-11-01T10:00:00Z","case":"case-0002","case":"case-0003"}`,
}

// checkParse holds Parse to encoding/json: whenever it accepts a line,
// json.Unmarshal must accept it too and give the same View.
func checkParse(t *testing.T, line []byte) {
	v, ok := Parse(line, nil)
	vi, oki := Parse(line, Interner{"a": "a"})
	if ok != oki || !reflect.DeepEqual(v, vi) {
		t.Fatalf("%q: interned parse differs: %v %+v / %v %+v", line, ok, v, oki, vi)
	}
	if !ok {
		return
	}
	var want View
	if err := json.Unmarshal(line, &want); err != nil {
		t.Fatalf("Parse accepted %q, encoding/json refused it: %v", line, err)
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("%q:\nParse %+v\njson  %+v", line, v, want)
	}
}

func TestFastParserAgreesWithJSON(t *testing.T) {
	accepted := 0
	for _, s := range parseSeeds {
		checkParse(t, []byte(s))
		if _, ok := Parse([]byte(s), nil); ok {
			accepted++
		}
	}
	if accepted < 5 {
		t.Errorf("Parse accepted only %d of the ordinary seeds", accepted)
	}
}

func FuzzFastParser(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) { checkParse(t, line) })
}
