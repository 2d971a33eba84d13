package main

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"forensics/canary"
	"forensics/internal/demo"
	"forensics/report"
	"forensics/watermark"
	"forensics/watermark/engine"
)

// The tests here run each command's flag parsing alone: a runF captures
// the options the constructor filled, so nothing is read, written or
// served. What the commands then do is tested through run (cli_test.go
// and the others).

// flagIO is the streams every command under test gets; the expected
// options carry it too.
var flagIO = &ioStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}

// flagCase is one command line and the options it must parse into.
type flagCase[O any] struct {
	name string
	args []string
	// want edits the command's defaults into the expected options (nil:
	// the defaults).
	want func(o *O)
	// wantErr, if set, is part of the usage error the line must give
	// instead.
	wantErr string
}

// testFlags runs each case through the command made by newCmd, placed
// under a root as in the binary, and compares the options runF receives
// with defaults() edited by the case.
func testFlags[O any](t *testing.T, newCmd func(*ioStreams, func(context.Context, *O) error) *cobra.Command, defaults func() O, cases []flagCase[O]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got *O
			cmd := newCmd(flagIO, func(_ context.Context, o *O) error { got = o; return nil })
			root := &cobra.Command{Use: "forensics", SilenceErrors: true, SilenceUsage: true}
			root.SetOut(io.Discard)
			root.SetErr(io.Discard)
			root.SetFlagErrorFunc(flagError)
			root.AddCommand(cmd)
			root.SetArgs(append([]string{cmd.Name()}, tc.args...))
			err := root.ExecuteContext(context.Background())
			if tc.wantErr != "" {
				var ue *usageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%q: error %v, want a usage error with %q", tc.args, err, tc.wantErr)
				}
				if got != nil {
					t.Fatalf("%q: runF was called despite the error", tc.args)
				}
				return
			}
			if err != nil {
				t.Fatalf("%q: %v", tc.args, err)
			}
			if got == nil {
				t.Fatalf("%q: runF was not called", tc.args)
			}
			want := defaults()
			if tc.want != nil {
				tc.want(&want)
			}
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("%q:\n got %+v\nwant %+v", tc.args, *got, want)
			}
		})
	}
}

func TestKeygenFlags(t *testing.T) {
	defaults := func() keygenOptions {
		return keygenOptions{io: flagIO, Out: "k.yaml", Params: watermark.DefaultParams(), Scheme: watermark.SchemeName, PRF: engine.PRFPhilox}
	}
	engineSet := func(prf, width bool) map[string]bool {
		return map[string]bool{"prf": prf, "context-width": width, "gamma": false, "delta": false}
	}
	testFlags(t, newCmdKeygen, defaults, []flagCase[keygenOptions]{
		{name: "out", args: []string{"--out", "k.yaml"}},
		{name: "short out", args: []string{"-o", "k.yaml"}},
		{name: "every flag", args: []string{"-o", "k.yaml", "--id", "acme-2026", "--gamma", "0.25", "--delta", "2", "--context-width", "1",
			"--payload-bits", "8", "--force", "--json", "--tokenizer", "words-v1"},
			want: func(o *keygenOptions) {
				o.ID, o.Overwrite, o.JSON, o.Tokenizer = "acme-2026", true, true, "words-v1"
				o.Params = watermark.Params{Gamma: 0.25, Delta: 2, ContextWidth: 1, PayloadBits: 8}
			}},
		{name: "signing", args: []string{"--signing", "--out", "k.yaml"}, want: func(o *keygenOptions) { o.Signing = true }},
		{name: "vllm gumbel", args: []string{"-o", "k.yaml", "--scheme", "vllm-gumbel", "--engine-config-out", "c.json"},
			want: func(o *keygenOptions) {
				o.Scheme, o.EngineConfigOut, o.set = "vllm-gumbel", "c.json", engineSet(false, false)
				o.Params.Gamma, o.Params.Delta, o.Params.ContextWidth = 0, 0, 4
			}},
		{name: "vllm red-green hmac import", args: []string{"-o", "k.yaml", "--scheme", "vllm-red-green", "--prf", "hmac-sha256-v1", "--import", "-", "--context-width", "16"},
			want: func(o *keygenOptions) {
				o.Scheme, o.PRF, o.Import, o.set = "vllm-red-green", "hmac-sha256-v1", "-", engineSet(true, true)
				o.Params.ContextWidth = 16
			}},
		{name: "unknown scheme", args: []string{"-o", "k.yaml", "--scheme", "synthid"}, wantErr: "unknown watermark scheme"},
		{name: "prf without engine scheme", args: []string{"-o", "k.yaml", "--prf", "hmac-sha256-v1"}, wantErr: "--prf belongs to the engine schemes"},
		{name: "gumbel gamma", args: []string{"-o", "k.yaml", "--scheme", "vllm-gumbel", "--gamma", "0.5"}, wantErr: "Gumbel-max has neither"},
		{name: "engine payload", args: []string{"-o", "k.yaml", "--scheme", "vllm-gumbel", "--payload-bits", "8"}, wantErr: "--payload-bits belongs to"},
		{name: "no out", args: nil, wantErr: "--out is required"},
		{name: "gamma", args: []string{"--out", "k.yaml", "--gamma", "1.5"}, wantErr: "gamma 1.5 is outside (0,1)"},
		{name: "context width", args: []string{"--out", "k.yaml", "--context-width", "9"}, wantErr: "context width 9"},
		{name: "unknown flag", args: []string{"--out", "k.yaml", "--bogus"}, wantErr: "unknown flag: --bogus"},
		{name: "argument", args: []string{"--out", "k.yaml", "extra"}, wantErr: "at most 0 argument(s)"},
	})
}

func TestDetectFlags(t *testing.T) {
	defaults := func() detectOptions {
		return detectOptions{io: flagIO, KeyPaths: []string{"k.yaml"}, Tokenizer: "embedded", Alpha: 1e-6, MaxBytes: defaultMaxBytes, Input: "-"}
	}
	testFlags(t, newCmdDetect, defaults, []flagCase[detectOptions]{
		{name: "standard input", args: []string{"--key", "k.yaml"}},
		{name: "ids", args: []string{"--key", "k.yaml", "--ids"}, want: func(o *detectOptions) { o.IDs = true }},
		{name: "chat template", args: []string{"--key", "k.yaml", "--jsonl", "--chat-template", "tokenizer_config.json"},
			want: func(o *detectOptions) { o.JSONL, o.ChatTemplate = true, "tokenizer_config.json" }},
		{name: "file", args: []string{"-k", "k.yaml", "answer.txt"}, want: func(o *detectOptions) { o.Input = "answer.txt" }},
		{name: "dash", args: []string{"-k", "k.yaml", "-"}},
		{name: "keys and keyring", args: []string{"-k", "k.yaml", "--key", "old.yaml", "--keyring", "keys/"},
			want: func(o *detectOptions) { o.KeyPaths, o.Keyring = []string{"k.yaml", "old.yaml"}, "keys/" }},
		{name: "keyring alone", args: []string{"--keyring", "keys/"},
			want: func(o *detectOptions) { o.KeyPaths, o.Keyring = nil, "keys/" }},
		{name: "single text flags", args: []string{"-k", "k.yaml", "--tokenizer", "words-v1", "--prompt", "Explain tides.", "--alpha", "0.01",
			"--windows", "--tokens", "--no-normalize", "--json", "--max-bytes", "1000"},
			want: func(o *detectOptions) {
				o.Tokenizer, o.Prompt, o.Alpha, o.MaxBytes = "words-v1", "Explain tides.", 0.01, 1000
				o.Windows, o.Tokens, o.NoNormalize, o.JSON = true, true, true, true
			}},
		{name: "jsonl pooled", args: []string{"-k", "k.yaml", "--jsonl", "--pooled", "--json", "in.jsonl"},
			want: func(o *detectOptions) { o.JSONL, o.Pooled, o.JSON, o.Input = true, true, true, "in.jsonl" }},
		{name: "no key", args: []string{"answer.txt"}, wantErr: "--key or --keyring is required"},
		{name: "alpha 0", args: []string{"-k", "k.yaml", "--alpha", "0"}, wantErr: "--alpha 0 is outside (0,1)"},
		{name: "alpha 1", args: []string{"-k", "k.yaml", "--alpha", "1"}, wantErr: "--alpha 1 is outside (0,1)"},
		{name: "max bytes", args: []string{"-k", "k.yaml", "--max-bytes", "0"}, wantErr: "--max-bytes must be positive"},
		{name: "jsonl prompt", args: []string{"-k", "k.yaml", "--jsonl", "--prompt", "x"}, wantErr: "cannot be combined with --prompt or --tokens"},
		{name: "jsonl tokens", args: []string{"-k", "k.yaml", "--jsonl", "--tokens"}, wantErr: "cannot be combined with --prompt or --tokens"},
		{name: "pooled alone", args: []string{"-k", "k.yaml", "--pooled"}, wantErr: "--pooled pools the documents of --jsonl input"},
		{name: "two files", args: []string{"-k", "k.yaml", "a", "b"}, wantErr: "at most 1 argument(s), got 2"},
		{name: "bad alpha", args: []string{"-k", "k.yaml", "--alpha", "small"}, wantErr: `invalid argument "small"`},
	})
}

func TestGenerateFlags(t *testing.T) {
	defaults := func() generateOptions {
		return generateOptions{io: flagIO, KeyPath: "k.yaml", Model: "embedded", MaxTokens: 200, Temperature: 0.8}
	}
	testFlags(t, newCmdGenerate, defaults, []flagCase[generateOptions]{
		{name: "key", args: []string{"--key", "k.yaml"}},
		{name: "every flag", args: []string{"-k", "k.yaml", "--model", "toy", "-p", "The letter said", "--max-tokens", "50",
			"--min-tokens", "40", "--temperature", "0", "--json"},
			want: func(o *generateOptions) {
				o.Model, o.Prompt, o.MaxTokens, o.MinTokens, o.Temperature, o.JSON = "toy", "The letter said", 50, 40, 0, true
			}},
		// A seed of 0 is a seed given, not "none".
		{name: "seed 0", args: []string{"-k", "k.yaml", "--seed", "0"}, want: func(o *generateOptions) { o.SeedSet = true }},
		{name: "seed", args: []string{"-k", "k.yaml", "--seed", "17"}, want: func(o *generateOptions) { o.Seed, o.SeedSet = 17, true }},
		{name: "no watermark", args: []string{"--no-watermark"}, want: func(o *generateOptions) { o.KeyPath, o.NoWatermark = "", true }},
		{name: "no key", args: nil, wantErr: "--key is required (or --no-watermark)"},
		{name: "max tokens", args: []string{"-k", "k.yaml", "--max-tokens", "-1"}, wantErr: "--max-tokens -1 is outside"},
		{name: "temperature", args: []string{"-k", "k.yaml", "--temperature", "11"}, wantErr: "--temperature 11 is outside [0,10]"},
		{name: "temperature NaN", args: []string{"-k", "k.yaml", "--temperature", "NaN"}, wantErr: "--temperature NaN is outside [0,10]"},
	})
}

func TestTokenizerExportFlags(t *testing.T) {
	defaults := func() tokenizerExportOptions {
		return tokenizerExportOptions{io: flagIO, From: "gguf:m.gguf", Out: "tok.json"}
	}
	testFlags(t, newCmdTokenizerExport, defaults, []flagCase[tokenizerExportOptions]{
		{name: "from and out", args: []string{"--from", "gguf:m.gguf", "-o", "tok.json"}},
		{name: "every flag", args: []string{"--from", "gguf:m.gguf", "--out", "tok.json", "--no-verify", "--json"},
			want: func(o *tokenizerExportOptions) { o.NoVerify, o.JSON = true, true }},
		{name: "no out", args: []string{"--from", "embedded"}, wantErr: "--from and --out are required"},
		{name: "no from", args: []string{"--out", "tok.json"}, wantErr: "--from and --out are required"},
		{name: "hf dir", args: []string{"--from", "hf:models/Qwen3-8B", "-o", "tok.json"},
			want: func(o *tokenizerExportOptions) { o.From = "hf:models/Qwen3-8B" }},
		{name: "hf file", args: []string{"--from=hf:m/tokenizer.json", "--out=tok.json", "--json"},
			want: func(o *tokenizerExportOptions) { o.From, o.JSON = "hf:m/tokenizer.json", true }},
		{name: "hf no path", args: []string{"--from", "hf:", "-o", "tok.json"}, wantErr: "--from hf: needs a path"},
	})
}

func TestServeFlags(t *testing.T) {
	defaults := func() serveOptions { return serveOptions{io: flagIO, Config: "serve.yaml"} }
	testFlags(t, newCmdServe, defaults, []flagCase[serveOptions]{
		{name: "config", args: []string{"-c", "serve.yaml"}},
		{name: "listen", args: []string{"--config", "serve.yaml", "--listen", "127.0.0.1:0"},
			want: func(o *serveOptions) { o.Listen = "127.0.0.1:0" }},
		{name: "no config", args: nil, wantErr: "--config is required"},
		{name: "log flags", args: []string{"-c", "serve.yaml", "--log-format", "json", "--log-level", "warn"},
			want: func(o *serveOptions) { o.LogFormat, o.LogLevel = "json", "warn" }},
		{name: "bad log format", args: []string{"-c", "serve.yaml", "--log-format", "xml"}, wantErr: "want text or json"},
		{name: "bad log level", args: []string{"-c", "serve.yaml", "--log-level", "loud"}, wantErr: "want debug, info, warn or error"},
		{name: "argument", args: []string{"-c", "serve.yaml", "extra"}, wantErr: "at most 0 argument(s)"},
	})
	testFlags(t, newCmdServeAPIKey, func() serveAPIKeyOptions { return serveAPIKeyOptions{io: flagIO} }, []flagCase[serveAPIKeyOptions]{
		{name: "apikey", args: nil},
		{name: "apikey json", args: []string{"--json"}, want: func(o *serveAPIKeyOptions) { o.JSON = true }},
	})
}

func TestScanLogsFlags(t *testing.T) {
	defaults := func() scanLogsOptions {
		return scanLogsOptions{io: flagIO, Top: 25, Reference: "prior", HTMLAccounts: 20, Logs: []string{"a.jsonl"}}
	}
	testFlags(t, newCmdScanLogs, defaults, []flagCase[scanLogsOptions]{
		{name: "one log", args: []string{"a.jsonl"}},
		{name: "every flag", args: []string{"-c", "rules.yaml", "--baseline", "calib.json", "-o", "scan/", "--json", "--top", "0",
			"--accounts", "accts.jsonl", "--reference", "log", "--benchmarks", "a.fp", "--benchmarks", "b.fp", "a.jsonl", "b.jsonl.gz"},
			want: func(o *scanLogsOptions) {
				o.Config, o.Baseline, o.Out, o.JSON, o.Top = "rules.yaml", "calib.json", "scan/", true, 0
				o.Accounts, o.Reference, o.Benchmarks = "accts.jsonl", "log", []string{"a.fp", "b.fp"}
				o.Logs = []string{"a.jsonl", "b.jsonl.gz"}
			}},
		{name: "no logs", args: []string{"--json"}, wantErr: "give at least one log file"},
		{name: "workers", args: []string{"--workers", "3", "a.jsonl"}, want: func(o *scanLogsOptions) { o.Workers = 3 }},
		{name: "negative workers", args: []string{"--workers", "-1", "a.jsonl"}, wantErr: "--workers must be 0"},
		{name: "workers not a number", args: []string{"--workers", "many", "a.jsonl"}, wantErr: "invalid argument"},
		{name: "html accounts", args: []string{"-o", "scan/", "--html-accounts", "50", "a.jsonl"},
			want: func(o *scanLogsOptions) { o.Out, o.HTMLAccounts = "scan/", 50 }},
		{name: "html accounts zero", args: []string{"--html-accounts", "0", "a.jsonl"}, wantErr: "--html-accounts must be from 1"},
		{name: "html accounts too many", args: []string{"--html-accounts", "1001", "a.jsonl"}, wantErr: "--html-accounts must be from 1"},
	})
	testFlags(t, newCmdScanLogsCalibrate, func() scanLogsCalibrateOptions {
		return scanLogsCalibrateOptions{io: flagIO, Out: "calib.json", Logs: []string{"benign.jsonl.gz"}}
	}, []flagCase[scanLogsCalibrateOptions]{
		{name: "calibrate", args: []string{"--out", "calib.json", "benign.jsonl.gz"}},
		{name: "calibrate config", args: []string{"-o", "calib.json", "-c", "rules.yaml", "a.jsonl", "b.jsonl"},
			want: func(o *scanLogsCalibrateOptions) { o.Config, o.Logs = "rules.yaml", []string{"a.jsonl", "b.jsonl"} }},
		{name: "calibrate no out", args: []string{"benign.jsonl"}, wantErr: "give benign log files and --out"},
		{name: "calibrate no logs", args: []string{"--out", "calib.json"}, wantErr: "give benign log files and --out"},
	})
}

func TestScanLogsFingerprintsFlags(t *testing.T) {
	testFlags(t, newCmdFingerprintsBuild, func() fingerprintsBuildOptions {
		return fingerprintsBuildOptions{io: flagIO, Suite: "gsm8k", Fields: []string{"text"}, Out: "g.fp", Files: []string{"test.jsonl"}}
	}, []flagCase[fingerprintsBuildOptions]{
		{name: "build", args: []string{"--suite", "gsm8k", "test.jsonl", "-o", "g.fp"}},
		{name: "build every flag", args: []string{"--suite", "gsm8k", "--field", "text", "--field", "test_list", "--merge", "a.fp", "--merge", "b.fp", "--out", "g.fp", "x.jsonl.gz", "y.txt"},
			want: func(o *fingerprintsBuildOptions) {
				o.Fields, o.Merge, o.Files = []string{"text", "test_list"}, []string{"a.fp", "b.fp"}, []string{"x.jsonl.gz", "y.txt"}
			}},
		{name: "build no suite", args: []string{"test.jsonl", "-o", "g.fp"}, wantErr: "give --suite, item files and -o"},
		{name: "build no out", args: []string{"--suite", "gsm8k", "test.jsonl"}, wantErr: "give --suite, item files and -o"},
		{name: "build no files", args: []string{"--suite", "gsm8k", "-o", "g.fp"}, wantErr: "give --suite, item files and -o"},
		{name: "build bad suite name", args: []string{"--suite", "a\x1b[2J", "-o", "g.fp", "t.jsonl"}, wantErr: "unprintable"},
	})
	testFlags(t, newCmdFingerprintsList, func() fingerprintsListOptions {
		return fingerprintsListOptions{io: flagIO}
	}, []flagCase[fingerprintsListOptions]{
		{name: "list shipped", args: nil},
		{name: "list file json", args: []string{"--json", "all.fp"}, want: func(o *fingerprintsListOptions) { o.File, o.JSON = "all.fp", true }},
		{name: "list two files", args: []string{"a.fp", "b.fp"}, wantErr: "at most 1 argument(s)"},
	})
}

func TestSimulateTrafficFlags(t *testing.T) {
	defaults := func() simulateOptions {
		return simulateOptions{io: flagIO, Accounts: 500, Attackers: 12, Days: 7, Seed: 1, Out: "sim.jsonl", Labels: "labels.json"}
	}
	testFlags(t, newCmdSimulateTraffic, defaults, []flagCase[simulateOptions]{
		{name: "out and labels", args: []string{"-o", "sim.jsonl", "--labels", "labels.json"}},
		{name: "every flag", args: []string{"--out", "sim.jsonl", "--labels", "labels.json", "--accounts", "20", "--attackers", "0", "--days", "2", "--seed", "9"},
			want: func(o *simulateOptions) { o.Accounts, o.Attackers, o.Days, o.Seed = 20, 0, 2, 9 }},
		{name: "accounts out", args: []string{"-o", "sim.jsonl", "--labels", "labels.json", "--accounts-out", "accounts.jsonl"},
			want: func(o *simulateOptions) { o.AccountsOut = "accounts.jsonl" }},
		{name: "no labels", args: []string{"-o", "sim.jsonl"}, wantErr: "--out and --labels are required"},
		{name: "no accounts", args: []string{"-o", "sim.jsonl", "--labels", "l.json", "--accounts", "0"}, wantErr: "need --accounts ≥ 1"},
		{name: "negative attackers", args: []string{"-o", "sim.jsonl", "--labels", "l.json", "--attackers", "-1"}, wantErr: "--attackers ≥ 0"},
	})
}

func TestProbeFlags(t *testing.T) {
	required := []string{"--target", "embedded:s.model", "--key", "k.yaml", "--out", "case/"}
	defaults := func() probeOptions {
		return probeOptions{io: flagIO, Target: "embedded:s.model", Key: "k.yaml", Out: "case/",
			Tokenizer: "embedded", Canaries: canary.Secret, Alpha: 0.01, Concurrency: 4, Equality: 100, Triggers: -1,
			Temperature: 0.8, MaxTokens: 200, NullKeys: 100, Rounds: 9999, HammingLen: 32, Timeout: 5 * time.Minute,
			Command: []string{"forensics probe", "--key=k.yaml", "--out=case/", "--target=embedded:s.model"}}
	}
	with := func(extra ...string) []string { return append(append([]string{}, required...), extra...) }
	testFlags(t, newCmdProbe, defaults, []flagCase[probeOptions]{
		{name: "required", args: required},
		{name: "short", args: []string{"-t", "embedded:s.model", "-k", "k.yaml", "-o", "case/"}},
		{name: "targets and logs", args: with("--reference", "ollama://h:1/ours", "--control", "c1", "--control", "c2",
			"--request-log", "a.jsonl", "--request-log", "b.jsonl.gz", "--probe-account", "probe-acct"),
			want: func(o *probeOptions) {
				o.Reference, o.Controls, o.RequestLogs, o.ProbeAccount = "ollama://h:1/ours", []string{"c1", "c2"}, []string{"a.jsonl", "b.jsonl.gz"}, "probe-acct"
				o.Command = []string{"forensics probe", "--control=c1", "--control=c2", "--key=k.yaml", "--out=case/", "--probe-account=probe-acct",
					"--reference=ollama://h:1/ours", "--request-log=a.jsonl", "--request-log=b.jsonl.gz", "--target=embedded:s.model"}
			}},
		{name: "plan and sampling", args: with("--prompts", "50", "--equality-prompts", "20", "--triggers", "0", "--temperature", "1",
			"--max-tokens", "64", "--seed", "3", "--null-keys", "0", "--rounds", "99", "--hamming-length", "16", "--alpha", "0.05",
			"--concurrency", "1", "--budget", "1000 tokens", "--timeout", "30s", "--canaries", "default", "--tokenizer", "words-v1",
			"--api-key-env", "KEY", "--sign", "s.key", "--json"),
			want: func(o *probeOptions) {
				o.Prompts, o.Equality, o.Triggers, o.Temperature, o.MaxTokens, o.Seed = 50, 20, 0, 1, 64, 3
				o.NullKeys, o.Rounds, o.HammingLen, o.Alpha, o.Concurrency = 0, 99, 16, 0.05, 1
				o.Budget, o.Timeout, o.Canaries, o.Tokenizer, o.APIKeyEnv, o.Sign, o.JSON = "1000 tokens", 30*time.Second, "default", "words-v1", "KEY", "s.key", true
				o.Command = []string{"forensics probe", "--alpha=0.05", "--api-key-env=KEY", "--budget=1000 tokens", "--canaries=default",
					"--concurrency=1", "--equality-prompts=20", "--hamming-length=16", "--json=true", "--key=k.yaml", "--max-tokens=64",
					"--null-keys=0", "--out=case/", "--prompts=50", "--rounds=99", "--seed=3", "--sign=s.key", "--target=embedded:s.model",
					"--temperature=1", "--timeout=30s", "--tokenizer=words-v1", "--triggers=0"}
			}},
		{name: "ledger", args: with("--ledger", "cases.jsonl", "--ledger-pub", "log.pub", "--cases", "case-0001,case-0003"),
			want: func(o *probeOptions) {
				o.Ledger, o.LedgerPub, o.Cases = "cases.jsonl", "log.pub", []string{"case-0001", "case-0003"}
				o.Command = []string{"forensics probe", "--cases=case-0001", "--cases=case-0003", "--key=k.yaml", "--ledger=cases.jsonl", "--ledger-pub=log.pub",
					"--out=case/", "--target=embedded:s.model"}
			}},
		{name: "no target", args: []string{"--key", "k.yaml", "--out", "case/"}, wantErr: "--target is required"},
		{name: "no key", args: []string{"--target", "t", "--out", "case/"}, wantErr: "--key is required"},
		{name: "no out", args: []string{"--target", "t", "--key", "k.yaml"}, wantErr: "--out is required"},
		{name: "alpha", args: with("--alpha", "1"), wantErr: "--alpha must be in (0,1)"},
		{name: "concurrency", args: with("--concurrency", "0"), wantErr: "--concurrency must be at least 1"},
		{name: "null keys", args: with("--null-keys", "10"), wantErr: "--null-keys must be 0 or 20..1000"},
		{name: "rounds", args: with("--rounds", "98"), wantErr: "--rounds must be at least 99"},
		{name: "argument", args: with("extra"), wantErr: "at most 0 argument(s)"},
	})
}

func TestVerifyFlags(t *testing.T) {
	defaults := func() verifyOptions { return verifyOptions{io: flagIO, Bundle: "case/"} }
	testFlags(t, newCmdVerify, defaults, []flagCase[verifyOptions]{
		{name: "bundle", args: []string{"case/"}},
		{name: "every flag", args: []string{"-k", "k.yaml", "--pub", "s.key.pub", "--json", "--request-log", "a.jsonl", "--request-log", "b.jsonl", "--ledger-pub", "log.pub", "case/"},
			want: func(o *verifyOptions) {
				o.KeyPath, o.PubPath, o.JSON, o.RequestLogs, o.LedgerPub = "k.yaml", "s.key.pub", true, []string{"a.jsonl", "b.jsonl"}, "log.pub"
			}},
		{name: "no bundle", args: []string{"--json"}, wantErr: "give one bundle folder"},
		{name: "two bundles", args: []string{"a/", "b/"}, wantErr: "give one bundle folder"},
	})
}

func TestVerifyLogFlags(t *testing.T) {
	defaults := func() verifyLogOptions { return verifyLogOptions{io: flagIO, Files: []string{"requests.jsonl"}} }
	testFlags(t, newCmdVerifyLog, defaults, []flagCase[verifyLogOptions]{
		{name: "live log", args: []string{"requests.jsonl"}},
		{name: "files in order", args: []string{"--pub", "p.pub", "--checkpoints", "c.checkpoints", "--json", "a.jsonl.1.gz", "a.jsonl"},
			want: func(o *verifyLogOptions) {
				o.PubPath, o.Checkpoints, o.JSON, o.Files = "p.pub", "c.checkpoints", true, []string{"a.jsonl.1.gz", "a.jsonl"}
			}},
		{name: "no log", args: nil, wantErr: "give the request log's path"},
	})
}

func TestVerifyLedgerFlags(t *testing.T) {
	defaults := func() verifyLedgerOptions { return verifyLedgerOptions{io: flagIO, Ledger: "cases.jsonl"} }
	testFlags(t, newCmdVerifyLedger, defaults, []flagCase[verifyLedgerOptions]{
		{name: "ledger", args: []string{"cases.jsonl"}},
		{name: "every flag", args: []string{"--public-key", "s.pub", "--key", "prod.key", "--json", "--request-log", "a.jsonl", "--request-log", "b.jsonl", "cases.jsonl"},
			want: func(o *verifyLedgerOptions) {
				o.PubPath, o.KeyPath, o.JSON, o.Logs = "s.pub", "prod.key", true, []string{"a.jsonl", "b.jsonl"}
			}},
		{name: "no ledger", args: nil, wantErr: "give the case ledger's path"},
		{name: "two ledgers", args: []string{"a", "b"}, wantErr: "give the case ledger's path"},
	})
}

func TestCaseFlags(t *testing.T) {
	gw := []string{"--gateway", "http://gw:9090", "--admin-key-file", "admin.key"}
	withGateway := func(o *caseOptions) { o.Gateway, o.AdminKeyFile = "http://gw:9090", "admin.key" }
	testFlags(t, newCmdCaseOpen, func() caseOptions { return caseOptions{io: flagIO, Action: "open"} }, []flagCase[caseOptions]{
		{name: "open", args: append(gw, "--accounts", "a,b", "--note", "ticket 1"),
			want: func(o *caseOptions) { withGateway(o); o.Accounts, o.Note = []string{"a", "b"}, "ticket 1" }},
		{name: "extend", args: append(gw, "--accounts", "c", "--case", "case-0002", "--json"),
			want: func(o *caseOptions) { withGateway(o); o.Accounts, o.Case, o.JSON = []string{"c"}, "case-0002", true }},
		{name: "open without accounts", args: gw, wantErr: "give --accounts"},
		{name: "open without gateway", args: []string{"--accounts", "a"}, wantErr: "give --gateway and --admin-key-file"},
	})
	testFlags(t, newCmdCaseClose, func() caseOptions { return caseOptions{io: flagIO, Action: "close"} }, []flagCase[caseOptions]{
		{name: "close", args: append(gw, "--case", "case-0001"), want: func(o *caseOptions) { withGateway(o); o.Case = "case-0001" }},
		{name: "close without case", args: gw, wantErr: "give --case"},
	})
	testFlags(t, newCmdCaseList, func() caseOptions { return caseOptions{io: flagIO, Action: "list"} }, []flagCase[caseOptions]{
		{name: "list from gateway", args: gw, want: withGateway},
		{name: "list from ledger", args: []string{"--ledger", "cases.jsonl", "--public-key", "s.pub"},
			want: func(o *caseOptions) { o.Ledger, o.PubPath = "cases.jsonl", "s.pub" }},
		{name: "list from nowhere", args: nil, wantErr: "give --gateway or --ledger"},
		{name: "list from both", args: append(gw, "--ledger", "x"), wantErr: "give --gateway or --ledger"},
	})
}

func TestReportFlags(t *testing.T) {
	defaults := func() reportOptions {
		r := report.DefaultOptions()
		r.Formats = []string{"html", "pdf", "md"} // the order --format's default gives
		return reportOptions{io: flagIO, Bundle: "case/", Render: r}
	}
	testFlags(t, newCmdReport, defaults, []flagCase[reportOptions]{
		{name: "bundle", args: []string{"case/"}},
		{name: "every flag", args: []string{"--format", " pdf, md,", "--title", "Acme v. Example", "--case-id", "2026-CV-0417",
			"--samples", "2", "--sign", "s.key", "--json", "case/"},
			want: func(o *reportOptions) {
				o.Render.Formats, o.Render.Title, o.Render.CaseID, o.Render.Samples = []string{"pdf", "md"}, "Acme v. Example", "2026-CV-0417", 2
				o.SignPath, o.JSON = "s.key", true
				o.Given = []string{"title", "case-id", "samples", "format"}
			}},
		{name: "one rendering flag", args: []string{"--samples", "3", "case/"},
			want: func(o *reportOptions) { o.Render.Samples, o.Given = 3, []string{"samples"} }},
		{name: "a flag given its default", args: []string{"--case-id", "", "case/"},
			want: func(o *reportOptions) { o.Given = []string{"case-id"} }},
		{name: "unknown format", args: []string{"--format", "html,docx", "case/"}, wantErr: `unknown format "docx"`},
		{name: "no format", args: []string{"--format", " , ", "case/"}, wantErr: "--format needs at least one of md, html, pdf"},
		{name: "samples", args: []string{"--samples", "0", "case/"}, wantErr: "--samples must be between 1 and 1000"},
		{name: "too many samples", args: []string{"--samples", "1001", "case/"}, wantErr: "--samples must be between 1 and 1000"},
		{name: "long title", args: []string{"--title", strings.Repeat("word ", 103), "case/"}, wantErr: "--title and --case-id must be at most 512 bytes"},
		{name: "long case id", args: []string{"--case-id", strings.Repeat("x", 513), "case/"}, wantErr: "--title and --case-id must be at most 512 bytes"},
		{name: "title of 512 bytes", args: []string{"--title", strings.Repeat("x", 512), "case/"},
			want: func(o *reportOptions) { o.Render.Title, o.Given = strings.Repeat("x", 512), []string{"title"} }},
		{name: "no bundle", args: nil, wantErr: "give one bundle folder"},
	})
}

func TestDemoFlags(t *testing.T) {
	defaults := func() demoOptions { return demoOptions{io: flagIO, Demo: demo.Options{Out: ".demo"}} }
	testFlags(t, newCmdDemo, defaults, []flagCase[demoOptions]{
		{name: "defaults", args: nil},
		{name: "every flag", args: []string{"-o", "/tmp/demo", "--quick", "--seed", "7", "--json"},
			want: func(o *demoOptions) { o.Demo.Out, o.Demo.Quick, o.Demo.Seed, o.JSON = "/tmp/demo", true, 7, true }},
		{name: "argument", args: []string{"extra"}, wantErr: "at most 0 argument(s)"},
	})
}

func TestExperimentFlags(t *testing.T) {
	testFlags(t, newCmdDistill, func() distillOptions { return distillOptions{io: flagIO, Out: "docs/experiments"} }, []flagCase[distillOptions]{
		{name: "distill", args: nil},
		{name: "distill flags", args: []string{"-o", "out/", "--quick", "--json"},
			want: func(o *distillOptions) { o.Out, o.Quick, o.JSON = "out/", true, true }},
	})
	testFlags(t, newCmdCasesExperiment, func() casesExperimentOptions {
		return casesExperimentOptions{io: flagIO, Out: "docs/experiments", Runs: -1}
	}, []flagCase[casesExperimentOptions]{
		{name: "cases", args: nil},
		{name: "cases flags", args: []string{"-o", "out/", "--quick", "--runs", "30", "--json"},
			want: func(o *casesExperimentOptions) { o.Out, o.Quick, o.Runs, o.JSON = "out/", true, 30, true }},
		{name: "cases argument", args: []string{"extra"}, wantErr: "at most 0 argument(s)"},
	})
	testFlags(t, newCmdCalibrate, func() calibrateOptions { return calibrateOptions{io: flagIO, Out: "docs/calibration", Runs: -1} }, []flagCase[calibrateOptions]{
		{name: "calibrate", args: nil},
		{name: "innocent", args: []string{"--innocent", "--probe-runs", "5", "--quick", "--json", "-o", "out/"},
			want: func(o *calibrateOptions) { o.Innocent, o.Runs, o.Quick, o.JSON, o.Out = true, 5, true, true, "out/" }},
	})
	testFlags(t, newCmdBench, func() benchOptions { return benchOptions{io: flagIO} }, []flagCase[benchOptions]{
		{name: "bench", args: nil},
		{name: "bench json", args: []string{"--json"}, want: func(o *benchOptions) { o.JSON = true }},
		{name: "bench argument", args: []string{"extra"}, wantErr: "at most 0 argument(s)"},
	})
}

func TestServeKeysFlags(t *testing.T) {
	gw := []string{"--gateway", "http://gw:9090", "--admin-key-file", "admin.key"}
	withGateway := func(o *serveKeysOptions) { o.Gateway, o.AdminKeyFile = "http://gw:9090", "admin.key" }
	testFlags(t, newCmdServeKeysAdd, func() serveKeysOptions { return serveKeysOptions{io: flagIO, Action: "add"} }, []flagCase[serveKeysOptions]{
		{name: "add", args: append([]string{"--account", "acme"}, gw...),
			want: func(o *serveKeysOptions) { withGateway(o); o.Account = "acme" }},
		{name: "add json", args: append([]string{"--account", "acme", "--json"}, gw...),
			want: func(o *serveKeysOptions) { withGateway(o); o.Account, o.JSON = "acme", true }},
		{name: "add without account", args: gw, wantErr: "--account is required"},
		{name: "add without gateway", args: []string{"--account", "acme"}, wantErr: "give --gateway and --admin-key-file"},
	})
	testFlags(t, newCmdServeKeysRevoke, func() serveKeysOptions { return serveKeysOptions{io: flagIO, Action: "revoke"} }, []flagCase[serveKeysOptions]{
		{name: "revoke by id", args: append([]string{"--id", "3f2a9c01b7de"}, gw...),
			want: func(o *serveKeysOptions) { withGateway(o); o.ID = "3f2a9c01b7de" }},
		{name: "revoke by hash", args: append([]string{"--hash", "sha256:ab"}, gw...),
			want: func(o *serveKeysOptions) { withGateway(o); o.Hash = "sha256:ab" }},
		{name: "revoke both", args: append([]string{"--id", "a", "--hash", "sha256:ab"}, gw...), wantErr: "one of --id and --hash"},
		{name: "revoke neither", args: gw, wantErr: "one of --id and --hash"},
	})
	testFlags(t, newCmdServeKeysList, func() serveKeysOptions { return serveKeysOptions{io: flagIO, Action: "list"} }, []flagCase[serveKeysOptions]{
		{name: "list", args: gw, want: withGateway},
		{name: "list json", args: append([]string{"--json"}, gw...), want: func(o *serveKeysOptions) { withGateway(o); o.JSON = true }},
		{name: "list argument", args: append([]string{"extra"}, gw...), wantErr: "at most 0 argument(s)"},
		{name: "list bad flag", args: append([]string{"--key", "k"}, gw...), wantErr: "unknown flag"},
	})
}

func TestSchemesFlags(t *testing.T) {
	defaults := func() schemesOptions { return schemesOptions{io: flagIO} }
	testFlags(t, newCmdSchemes, defaults, []flagCase[schemesOptions]{
		{name: "plain", args: nil},
		{name: "json", args: []string{"--json"}, want: func(o *schemesOptions) { o.JSON = true }},
		{name: "argument", args: []string{"x"}, wantErr: "at most 0 argument(s)"},
	})
}

func TestVersionFlags(t *testing.T) {
	defaults := func() versionOptions { return versionOptions{io: flagIO} }
	testFlags(t, newCmdVersion, defaults, []flagCase[versionOptions]{
		{name: "plain", args: nil},
		{name: "json", args: []string{"--json"}, want: func(o *versionOptions) { o.JSON = true }},
		{name: "argument", args: []string{"x"}, wantErr: "at most 0 argument(s)"},
		{name: "unknown flag", args: []string{"--short"}, wantErr: "unknown flag: --short"},
	})
}

func TestRadioactivityFlags(t *testing.T) {
	defaults := func() radioactivityOptions {
		return radioactivityOptions{io: flagIO, KeyPath: "k.yaml", Suspect: "s.jsonl", Tokenizer: "embedded", Alpha: 1e-6, NullKeys: 100, MaxBytes: defaultMaxBytes}
	}
	testFlags(t, newCmdRadioactivity, defaults, []flagCase[radioactivityOptions]{
		{name: "required", args: []string{"--key", "k.yaml", "--suspect", "s.jsonl"}},
		{name: "every flag", args: []string{"-k", "k.yaml", "--suspect", "s.jsonl", "--tokenizer", "tok.json", "--ids", "--control", "a.jsonl", "--control", "b.jsonl",
			"--alpha", "0.001", "--null-keys", "200", "--null-seed", "s1", "--max-bytes", "100", "--json"},
			want: func(o *radioactivityOptions) {
				o.Tokenizer, o.IDs, o.Controls, o.Alpha, o.NullKeys, o.NullSeed, o.MaxBytes, o.JSON = "tok.json", true, []string{"a.jsonl", "b.jsonl"}, 0.001, 200, "s1", 100, true
			}},
		{name: "no suspect", args: []string{"--key", "k.yaml"}, wantErr: "--key and --suspect are required"},
		{name: "few null keys", args: []string{"--key", "k.yaml", "--suspect", "s.jsonl", "--null-keys", "5"}, wantErr: "--null-keys 5"},
		{name: "alpha", args: []string{"--key", "k.yaml", "--suspect", "s.jsonl", "--alpha", "1"}, wantErr: "--alpha 1"},
	})
}
