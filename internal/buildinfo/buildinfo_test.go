package buildinfo

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

const (
	rev    = "7ed32b1cf09562f0c78852df59a8786464400b3b"
	rev2   = "1cae5f2000000000000000000000000000000000"
	binSum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

func settings(kv ...string) []debug.BuildSetting {
	var s []debug.BuildSetting
	for i := 0; i < len(kv); i += 2 {
		s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
	}
	return s
}

func TestFrom(t *testing.T) {
	plat := runtime.GOOS + "/" + runtime.GOARCH
	cases := []struct {
		name   string
		bi     *debug.BuildInfo
		ld     stamp
		want   string // String() with BinarySHA256 = binSum
		detail string // part of Detail()
	}{
		{"go stamped, dirty",
			&debug.BuildInfo{GoVersion: "go1.26.8", Path: "forensics/cmd/forensics", Main: debug.Module{Path: "forensics", Version: "v0.0.0-20261127111926-7ed32b1cf095+dirty"},
				Settings: settings("GOOS", "linux", "GOARCH", "amd64", "vcs.revision", rev, "vcs.time", "2026-11-27T11:19:26Z", "vcs.modified", "true")},
			stamp{}, "forensics v0.0.0-20261127111926-7ed32b1cf095+dirty (go1.26.8 linux/amd64)", "revision " + rev + " committed 2026-11-27T11:19:26Z, with uncommitted changes"},
		{"go stamped, clean",
			&debug.BuildInfo{GoVersion: "go1.26.8", Path: "forensics/cmd/forensics", Main: debug.Module{Version: "v0.0.0-20261127111926-7ed32b1cf095"},
				Settings: settings("GOOS", "linux", "GOARCH", "arm64", "vcs.revision", rev, "vcs.modified", "false")},
			stamp{}, "forensics v0.0.0-20261127111926-7ed32b1cf095 (go1.26.8 linux/arm64)", "revision " + rev},
		{"release installed with go install",
			&debug.BuildInfo{GoVersion: "go1.26.8", Path: "forensics/cmd/forensics", Main: debug.Module{Version: "v1.2.0"}, Settings: settings("GOOS", "linux", "GOARCH", "amd64")},
			stamp{}, "forensics v1.2.0 (go1.26.8 linux/amd64)", "forensics v1.2.0 (go1.26.8 linux/amd64); binary sha256 " + binSum},
		{"linker stamp (a worktree)",
			&debug.BuildInfo{GoVersion: "go1.26.8", Path: "forensics/cmd/forensics", Main: debug.Module{Version: "(devel)"}, Settings: settings("GOOS", "linux", "GOARCH", "amd64")},
			stamp{rev, "2026-11-27T11:19:26Z", "true"}, "forensics rev 7ed32b1cf095+dirty (go1.26.8 linux/amd64)", "revision " + rev + " committed 2026-11-27T11:19:26Z, with uncommitted changes"},
		{"go stamp wins over the linker's",
			&debug.BuildInfo{GoVersion: "go1.26.8", Path: "forensics/cmd/forensics", Main: debug.Module{Version: "(devel)"}, Settings: settings("GOOS", "linux", "GOARCH", "amd64", "vcs.revision", rev)},
			stamp{rev2, "", "true"}, "forensics rev 7ed32b1cf095 (go1.26.8 linux/amd64)", "revision " + rev},
		{"unstamped (go run, go test, -buildvcs=false)",
			&debug.BuildInfo{GoVersion: "go1.26.8", Path: "forensics/evidence.test", Main: debug.Module{Version: "(devel)"}, Settings: settings("GOOS", "linux", "GOARCH", "amd64")},
			stamp{}, "evidence.test unstamped build: no VCS revision; binary sha256 0123456789abcdef… (go1.26.8 linux/amd64)",
			"evidence.test unstamped build: no VCS revision; binary sha256 " + binSum + " (go1.26.8 linux/amd64)"},
		{"no build info", nil, stamp{}, "forensics unstamped build: no VCS revision; binary sha256 0123456789abcdef… (" + runtime.Version() + " " + plat + ")", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			i := from(tc.bi, tc.ld)
			i.BinarySHA256 = binSum
			if got := i.String(); got != tc.want {
				t.Errorf("String:\n got %q\nwant %q", got, tc.want)
			}
			if !strings.Contains(i.Detail(), tc.detail) {
				t.Errorf("Detail %q lacks %q", i.Detail(), tc.detail)
			}
			if tool := i.Tool("serve"); tool != i.Program+" serve "+strings.TrimPrefix(i.Detail(), i.Program+" ") {
				t.Errorf("Tool(serve) = %q", tool)
			}
			if err := i.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			if strings.Contains(i.String(), "(devel)") {
				t.Errorf("String %q says (devel)", i.String())
			}
		})
	}
}

func TestJSONShape(t *testing.T) {
	i := from(&debug.BuildInfo{GoVersion: "go1.26.8", Path: "forensics/cmd/forensics", Main: debug.Module{Version: "v1.2.0"},
		Settings: settings("GOOS", "linux", "GOARCH", "amd64", "vcs.revision", rev, "vcs.time", "2026-11-27T11:19:26Z")}, stamp{})
	i.BinarySHA256 = binSum
	b, err := json.Marshal(&i)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"program":"forensics","version":"v1.2.0","revision":"` + rev + `","commit_time":"2026-11-27T11:19:26Z","modified":false,"go_version":"go1.26.8","goos":"linux","goarch":"amd64","binary_sha256":"` + binSum + `"}`
	if string(b) != want {
		t.Errorf("JSON:\n got %s\nwant %s", b, want)
	}
}

// TestCurrent: the running test binary is unstamped (go test never
// stamps) and named by its hash.
func TestCurrent(t *testing.T) {
	c := Current()
	if len(c.BinarySHA256) != 64 || c.GoVersion != runtime.Version() || c.GOOS != runtime.GOOS {
		t.Fatalf("Current = %+v", c)
	}
	if Current() != c {
		t.Error("Current is read more than once")
	}
	if !c.Stamped() && !strings.Contains(c.String(), "unstamped build: no VCS revision; binary sha256 "+c.BinarySHA256[:16]) {
		t.Errorf("unstamped String %q", c)
	}
}

func TestValidate(t *testing.T) {
	if err := (*Info)(nil).Validate(); err != nil {
		t.Errorf("nil: %v", err)
	}
	long := strings.Repeat("x", maxField+1)
	for _, tc := range []struct {
		name string
		i    Info
		ok   bool
	}{
		{"short revision", Info{Revision: "abc"}, true},
		{"empty", Info{}, true},
		{"long program", Info{Program: long}, false},
		{"not UTF-8", Info{GoVersion: "go\xff"}, false},
		{"revision not hex", Info{Revision: "7ed3; rm -rf"}, false},
		{"binary hash short", Info{BinarySHA256: "abcd"}, false},
	} {
		if err := tc.i.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

func TestCompare(t *testing.T) {
	base := Info{Program: "forensics", Version: "v0.0.0-20261127111926-7ed32b1cf095", Revision: rev, GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", BinarySHA256: binSum}
	with := func(edit func(*Info)) *Info { i := base; edit(&i); return &i }
	otherBinary := func(i *Info) { i.BinarySHA256 = strings.Repeat("f", 64) }
	cases := []struct {
		name string
		made *Info
		want Sameness
		why  string
	}{
		{"identical", with(func(*Info) {}), Identical, "made by this very executable"},
		{"identical binary, both unstamped", &Info{Program: "forensics", BinarySHA256: binSum}, Identical, "this very executable"},
		{"same revision, other binary", with(otherBinary), SameCode, "the same code, another build flags or binary"},
		{"same revision, other Go", with(func(i *Info) { otherBinary(i); i.GoVersion = "go1.26.7" }), SameCode, "another Go version"},
		{"same revision, other platform", with(func(i *Info) { otherBinary(i); i.GOARCH = "arm64" }), SameCode, "another platform"},
		{"other revision", with(func(i *Info) { otherBinary(i); i.Revision, i.Version = rev2, "" }), OtherCode, "another revision of the code"},
		{"dirty", with(func(i *Info) { otherBinary(i); i.Modified = true }), Unknown, "modified working tree"},
		{"unstamped", &Info{Program: "forensics", GoVersion: "go1.26.8", BinarySHA256: strings.Repeat("f", 64)}, Unknown, "an unstamped build names no code"},
		{"none recorded", nil, Unknown, "records no build"},
		// Our hash is public (forensics version prints it): a record that
		// names it with another revision contradicts itself.
		{"our hash, another revision", with(func(i *Info) { i.Revision, i.Version, i.GOOS = rev2, "", "windows" }), Unknown, "the record contradicts itself"},
		// A pseudo-version names its revision's first 12 digits.
		{"version only, same revision", with(func(i *Info) { otherBinary(i); i.Revision = "" }), SameCode, "the same code"},
		{"version only, other revision", with(func(i *Info) { otherBinary(i); i.Revision, i.Version = "", "v0.0.0-20261127111926-1cae5f200000" }), OtherCode, "another revision"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			own := with(func(*Info) {})
			if tc.name == "identical binary, both unstamped" {
				own = &Info{Program: "forensics", BinarySHA256: binSum}
			}
			c := Compare(tc.made, own)
			if c.Sameness != tc.want || !strings.Contains(c.Why, tc.why) {
				t.Errorf("Compare = %d %q, want %d with %q", c.Sameness, c.Why, tc.want, tc.why)
			}
			// The other way round the verdict is the same.
			if tc.made != nil && Compare(own, tc.made).Sameness != tc.want {
				t.Errorf("Compare is not symmetric: %d the other way", Compare(own, tc.made).Sameness)
			}
		})
	}
}
